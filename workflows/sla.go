package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/sla"
)

// SignalSLARecheck tells a conversation that its ticket's priority changed: it chooses its SLA policy again.
const SignalSLARecheck = "sla-recheck"

// SLA search attributes: the next deadline of a running target (unset when none runs) and whether one was breached.
var (
	SlaDueAtKey    = temporal.NewSearchAttributeKeyTime("SlaDueAt")
	SlaBreachedKey = temporal.NewSearchAttributeKeyBool("SlaBreached")
)

// maxSLAPauses bounds the pauses a ticket's clocks keep; past it, the clocks no longer pause (docs/sla.md).
const maxSLAPauses = 100

// The SLA targets, as the audit trail and the notifications name them.
const (
	targetFirstResponse = "first_response"
	targetNextResponse  = "next_response"
	targetResolution    = "resolution"
)

// SLAState is the ticket's SLA clocks as the conversation keeps them; continue-as-new carries it over.
type SLAState struct {
	// Policy is the policy chosen last (a snapshot); nil when none applies.
	Policy *sla.Policy `json:"policy,omitempty"`
	// Start is when the ticket's clocks started (first response and resolution count from it).
	Start  time.Time      `json:"start"`
	Status string         `json:"status"`
	TeamID string         `json:"team_id"`
	Pauses []sla.Interval `json:"pauses,omitempty"`
	// FirstResponded is set by the first agent reply; NextSince is the customer message waiting for the next one.
	FirstResponded bool       `json:"first_responded"`
	NextSince      *time.Time `json:"next_since,omitempty"`
	// Fired are the escalations done, "<target>:<warning|breach>".
	Fired    []string   `json:"fired,omitempty"`
	Breached bool       `json:"breached"`
	DueAt    *time.Time `json:"due_at,omitempty"`
	// Shown is what was last recorded on the ticket, to record only changes; Visible says the search
	// attributes were set (a ticket no policy ever applied to has none).
	Shown   string `json:"shown,omitempty"`
	Visible bool   `json:"visible,omitempty"`
}

// slaEvent is a warning or breach of one target, due at at.
type slaEvent struct {
	target, kind string
	at           time.Time
	actions      []sla.Action
}

// slaClock is a running target: its name, when its clock started and its goal.
type slaClock struct {
	target string
	start  time.Time
	goal   time.Duration
}

// clocks are the running targets.
func (s *SLAState) clocks() []slaClock {
	p := s.Policy
	if p == nil {
		return nil
	}
	var out []slaClock
	add := func(target string, start time.Time, minutes int) {
		if minutes > 0 {
			out = append(out, slaClock{target: target, start: start, goal: time.Duration(minutes) * time.Minute})
		}
	}
	if !s.FirstResponded {
		add(targetFirstResponse, s.Start, p.Targets.FirstResponse)
	}
	if s.NextSince != nil {
		add(targetNextResponse, *s.NextSince, p.Targets.NextResponse)
	}
	if s.Status != domain.TicketStatusSolved && s.Status != domain.TicketStatusClosed {
		add(targetResolution, s.Start, p.Targets.Resolution)
	}
	return out
}

// events are the warnings and breaches not yet fired, soonest first; dueAt is the earliest breach not yet fired.
func (s *SLAState) events() (evs []slaEvent, dueAt *time.Time) {
	if s.Policy == nil {
		return nil, nil
	}
	cal := s.Policy.Clock()
	for _, c := range s.clocks() {
		warnAt, okW := sla.Due(c.start, time.Duration(float64(c.goal)*s.Policy.Share()).Round(time.Second), cal, s.Pauses)
		breachAt, okB := sla.Due(c.start, c.goal, cal, s.Pauses)
		breached := slices.Contains(s.Fired, c.target+":breach")
		if okB && !breached && (dueAt == nil || breachAt.Before(*dueAt)) {
			dueAt = &breachAt
		}
		if okW && !slices.Contains(s.Fired, c.target+":warning") && !slices.Contains(s.Fired, c.target+":breach") {
			evs = append(evs, slaEvent{target: c.target, kind: "warning", at: warnAt, actions: s.Policy.OnWarning})
		}
		if okB && !breached {
			evs = append(evs, slaEvent{target: c.target, kind: "breach", at: breachAt, actions: s.Policy.OnBreach})
		}
	}
	slices.SortStableFunc(evs, func(a, b slaEvent) int { return a.at.Compare(b.at) })
	return evs, dueAt
}

// follow moves the pauses with the ticket's status: a status the policy pauses in opens a pause, another closes it.
func (s *SLAState) follow(status string, now time.Time) {
	s.Status = status
	s.Pauses = sla.FollowPauses(s.Pauses, s.Policy != nil && s.Policy.Pauses(status), now, maxSLAPauses)
}

// forget drops the fired escalations of target, whose clock starts again.
func (s *SLAState) forget(target string) {
	s.Fired = slices.DeleteFunc(s.Fired, func(f string) bool { return f == target+":warning" || f == target+":breach" })
}

// slaOn reports whether this run keeps SLA clocks (changeSLA); decided as the run starts (setup).
func (c *conversation) slaOn(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeSLA, workflow.DefaultVersion, 1) == 1
}
