package sla

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/rules"
)

// Limits of a policy as an admin writes it.
const (
	MaxPolicies      = 100
	MaxNameBytes     = 200
	MaxTargetMinutes = 365 * 24 * 60
	MaxActions       = 10
	MaxMatchValues   = 50
)

// The escalation actions a warning or a breach may take.
const (
	ActionNotifyAssignee = "notify_assignee"
	ActionNotifyTeam     = "notify_team"
	ActionNotifyAdmins   = "notify_admins"
	ActionRaisePriority  = "raise_priority"
	ActionAssignTeam     = "assign_team"
	ActionAssignAgent    = "assign_agent"
	ActionAddTag         = "add_tag"
)

// ActionTypes is the action vocabulary.
var ActionTypes = []string{ActionNotifyAssignee, ActionNotifyTeam, ActionNotifyAdmins, ActionRaisePriority, ActionAssignTeam, ActionAssignAgent, ActionAddTag}

// DefaultWarningShare is the share of a target at which the warning fires when a policy gives none.
const DefaultWarningShare = 0.8

// Targets are a policy's goals in minutes; 0 means no goal.
type Targets struct {
	// FirstResponse is the time to the first agent reply.
	FirstResponse int `json:"first_response_minutes"`
	// NextResponse is the time to answer each customer message that follows an agent's reply.
	NextResponse int `json:"next_response_minutes"`
	// Resolution is the time to solve the ticket.
	Resolution int `json:"resolution_minutes"`
}

// Action is one escalation step.
type Action struct {
	// Type is one of ActionTypes.
	Type string `json:"type"`
	// TeamID is the team of assign_team (and of notify_team, which otherwise notifies the ticket's team).
	TeamID string `json:"team_id,omitempty"`
	// UserID is the agent of assign_agent.
	UserID string `json:"user_id,omitempty"`
	// Tag is the tag of add_tag.
	Tag string `json:"tag,omitempty"`
	// Priority is raise_priority's priority ("" = one step up).
	Priority string `json:"priority,omitempty"`
}

// Policy is one service-level policy of an account; the account's enabled policies are tried
// by Position, and the first that matches a ticket applies.
type Policy struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Position int    `json:"position"`
	Enabled  bool   `json:"enabled"`
	// When is a condition in the rules language (docs/rules.md); "" matches every ticket.
	When string `json:"when"`
	// Priorities, ChannelTypes, ChannelIDs and TeamIDs narrow the tickets matched; empty = any.
	Priorities   []string `json:"priorities"`
	ChannelTypes []string `json:"channel_types"`
	ChannelIDs   []string `json:"channel_ids"`
	TeamIDs      []string `json:"team_ids"`
	Targets      Targets  `json:"targets"`
	// Calendar is the business hours the clock counts in when BusinessHoursOnly is set.
	Calendar          CalendarSpec `json:"calendar"`
	BusinessHoursOnly bool         `json:"business_hours_only"`
	// PauseOnPending and PauseOnHold stop the clocks while the ticket is pending or on hold.
	PauseOnPending bool `json:"pause_on_pending"`
	PauseOnHold    bool `json:"pause_on_hold"`
	// WarningShare is the share of a target at which the warning fires (0 < share < 1; 0 = 0.8).
	WarningShare float64   `json:"warning_share"`
	OnWarning    []Action  `json:"on_warning"`
	OnBreach     []Action  `json:"on_breach"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Validate checks a policy as an admin submitted it and returns one error per invalid field;
// the condition is checked as a rule's `when` is, with the same messages.
func Validate(p Policy) []domain.FieldError {
	var errs []domain.FieldError
	fail := func(field, format string, args ...any) {
		errs = append(errs, domain.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch name := strings.TrimSpace(p.Name); {
	case name == "":
		fail("name", "is required")
	case len(name) > MaxNameBytes:
		fail("name", "is %d bytes; the limit is %d", len(name), MaxNameBytes)
	}
	if strings.TrimSpace(p.When) != "" {
		if ce := rules.Validate(p.When); ce != nil {
			errs = append(errs, domain.FieldError{Field: "when", Message: ce.Message, Line: ce.Line, Column: ce.Column})
		}
	}
	errs = append(errs, matchErrors(p)...)
	errs = append(errs, targetErrors(p.Targets)...)
	if _, cerrs := ParseCalendar(p.Calendar); len(cerrs) > 0 {
		for _, e := range cerrs {
			e.Field = "calendar." + e.Field
			errs = append(errs, e)
		}
	}
	if p.WarningShare < 0 || p.WarningShare >= 1 {
		fail("warning_share", "must be more than 0 and less than 1 (0 = %.1f)", DefaultWarningShare)
	}
	errs = append(errs, actionErrors("on_warning", p.OnWarning)...)
	return append(errs, actionErrors("on_breach", p.OnBreach)...)
}

func matchErrors(p Policy) []domain.FieldError {
	var errs []domain.FieldError
	for field, vs := range map[string][]string{"priorities": p.Priorities, "channel_types": p.ChannelTypes, "channel_ids": p.ChannelIDs, "team_ids": p.TeamIDs} {
		if len(vs) > MaxMatchValues {
			errs = append(errs, domain.FieldError{Field: field, Message: fmt.Sprintf("has %d values; the limit is %d", len(vs), MaxMatchValues)})
		}
	}
	for i, pr := range p.Priorities {
		if !domain.ValidTicketPriority(pr) {
			errs = append(errs, domain.FieldError{Field: fmt.Sprintf("priorities[%d]", i), Message: "must be one of: " + domain.TicketPrioritiesText()})
		}
	}
	slices.SortFunc(errs, func(a, b domain.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return errs
}

func targetErrors(t Targets) []domain.FieldError {
	var errs []domain.FieldError
	for _, f := range []struct {
		name string
		v    int
	}{{"targets.first_response_minutes", t.FirstResponse}, {"targets.next_response_minutes", t.NextResponse}, {"targets.resolution_minutes", t.Resolution}} {
		if f.v < 0 || f.v > MaxTargetMinutes {
			errs = append(errs, domain.FieldError{Field: f.name, Message: fmt.Sprintf("must be 0 (no target) to %d minutes", MaxTargetMinutes)})
		}
	}
	if t == (Targets{}) {
		errs = append(errs, domain.FieldError{Field: "targets", Message: "set at least one of first_response_minutes, next_response_minutes, resolution_minutes"})
	}
	return errs
}

func actionErrors(field string, as []Action) []domain.FieldError {
	if len(as) > MaxActions {
		return []domain.FieldError{{Field: field, Message: fmt.Sprintf("has %d actions; the limit is %d", len(as), MaxActions)}}
	}
	var errs []domain.FieldError
	for i, a := range as {
		f := fmt.Sprintf("%s[%d]", field, i)
		var msg string
		switch {
		case !slices.Contains(ActionTypes, a.Type):
			f, msg = f+".type", "must be one of: "+strings.Join(ActionTypes, ", ")
		case a.Type == ActionAssignTeam && a.TeamID == "":
			f, msg = f+".team_id", "is required by assign_team"
		case a.Type == ActionAssignAgent && a.UserID == "":
			f, msg = f+".user_id", "is required by assign_agent"
		case a.Type == ActionAddTag:
			if _, err := domain.NormalizeTag(a.Tag); err != nil {
				f, msg = f+".tag", err.Error()
			}
		case a.Type == ActionRaisePriority && a.Priority != "" && !domain.ValidTicketPriority(a.Priority):
			f, msg = f+".priority", "must be one of: "+domain.TicketPrioritiesText()
		}
		if msg != "" {
			errs = append(errs, domain.FieldError{Field: f, Message: msg})
		}
	}
	return errs
}

// Ticket is what a policy's priority, channel and team conditions look at.
type Ticket struct {
	Priority    string
	ChannelType string
	ChannelID   string
	TeamID      string
}

// MatchesFields reports whether t passes the policy's priority, channel and team conditions (not When).
func (p Policy) MatchesFields(t Ticket) bool {
	in := func(vs []string, v string) bool { return len(vs) == 0 || slices.Contains(vs, v) }
	return in(p.Priorities, t.Priority) && in(p.ChannelTypes, t.ChannelType) && in(p.ChannelIDs, t.ChannelID) && in(p.TeamIDs, t.TeamID)
}

// Share is the warning share the policy uses.
func (p Policy) Share() float64 {
	if p.WarningShare <= 0 || p.WarningShare >= 1 {
		return DefaultWarningShare
	}
	return p.WarningShare
}

// Clock is the calendar the policy's clocks count in: its business hours, or every hour.
func (p Policy) Clock() Calendar {
	if !p.BusinessHoursOnly {
		return AlwaysOpen()
	}
	c, _ := ParseCalendar(p.Calendar) // checked when saved; a bad part counts as open
	return c
}

// Pauses reports whether a ticket in status stops the policy's clocks.
func (p Policy) Pauses(status string) bool {
	return p.PauseOnPending && status == domain.TicketStatusPending || p.PauseOnHold && status == domain.TicketStatusOnHold
}
