package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/rules"
	"github.com/routedesk/routedesk/sla"
	"github.com/routedesk/routedesk/store"
)

// SLAChoice is the SLA policy that applies to a ticket now (nil: none), with the ticket's status and
// team as the choice saw them; recorded in history, so a replay never depends on policies edited later.
type SLAChoice struct {
	Policy *sla.Policy `json:"policy,omitempty"`
	Status string      `json:"status"`
	TeamID string      `json:"team_id"`
}

// ChooseSLA tries the account's enabled SLA policies in order on the ticket as it is now; the first whose
// priority, channel and team conditions and rules condition (`when`, as a rule's) match applies.
func (a *Activities) ChooseSLA(ctx context.Context, in TicketRef) (SLAChoice, error) {
	t, err := a.Store.Ticket(ctx, in.AccountID, in.TicketID)
	if err != nil {
		return SLAChoice{}, classify(fmt.Errorf("choose sla: %w", err))
	}
	out := SLAChoice{Status: t.Status}
	if t.Assignee.TeamID != nil {
		out.TeamID = *t.Assignee.TeamID
	}
	policies, err := a.Store.SLAPolicies(ctx, in.AccountID)
	if err != nil || len(policies) == 0 {
		return out, classify(err)
	}
	fields := sla.Ticket{Priority: t.Priority, ChannelType: t.ChannelType, ChannelID: t.ChannelID, TeamID: out.TeamID}
	env := rules.Env{Ticket: rules.Ticket{Subject: t.Subject, Description: t.Description, Pipeline: t.Pipeline, Status: t.Status,
		Priority: t.Priority, Properties: orEmptyProps(t.Properties)},
		Message: rules.Message{Hidden: map[string]string{}, Fields: map[string]string{}},
		Channel: rules.Channel{ID: t.ChannelID, Type: t.ChannelType}, Now: time.Now().UTC()}
	for i := range policies {
		p := &policies[i]
		if p.Enabled && p.MatchesFields(fields) && a.slaWhen(p, env) {
			out.Policy = p
			return out, nil
		}
	}
	return out, nil
}

// slaWhen evaluates a policy's rules condition as a one-rule set ("" matches); a failing condition does not match.
func (a *Activities) slaWhen(p *sla.Policy, env rules.Env) bool {
	if p.When == "" {
		return true
	}
	rule := rules.Rule{ID: "sla:" + p.ID, Version: int(p.UpdatedAt.UnixMilli() % (1 << 31)), Kind: rules.KindProperty,
		Name: p.Name, When: p.When, Enabled: true, Set: map[string]any{"sla_policy": p.ID}} // a property rule sets something; the result is not kept
	res := a.Rules.Evaluate(rules.RuleSet{Rules: []rules.Rule{rule}}, "", env)
	return len(res.Matched) == 1
}

// SLAShown is what a ticket shows of its SLA: the policy, its next deadline, a breach, and the team holding it.
type SLAShown struct {
	AccountID string     `json:"account_id"`
	TicketID  string     `json:"ticket_id"`
	PolicyID  string     `json:"policy_id"`
	DueAt     *time.Time `json:"due_at,omitempty"`
	Breached  bool       `json:"breached"`
	TeamID    string     `json:"team_id"`
	At        time.Time  `json:"at"`
}

// ShowSLA records a ticket's SLA for the API and the queue, and the span of the team holding it.
func (a *Activities) ShowSLA(ctx context.Context, in SLAShown) error {
	return classify(a.Store.SetTicketSLA(ctx, in.AccountID, in.TicketID, store.TicketSLAState{
		PolicyID: in.PolicyID, DueAt: in.DueAt, Breached: in.Breached, TeamID: in.TeamID, At: in.At}))
}

// EscalateInput is a warning or a breach of a ticket's SLA target, or (Kind "achieved") a target met in time.
type EscalateInput struct {
	AccountID string       `json:"account_id"`
	TicketID  string       `json:"ticket_id"`
	Kind      string       `json:"kind"`
	Target    string       `json:"target"`
	PolicyID  string       `json:"policy_id"`
	DueAt     time.Time    `json:"due_at"`
	Actions   []sla.Action `json:"actions,omitempty"`
}

// Escalated is what an escalation did; AssignTeam and AssignUser are the reassignment it asks the workflow for.
type Escalated struct {
	Notified   []string `json:"notified"`
	AssignTeam string   `json:"assign_team,omitempty"`
	AssignUser string   `json:"assign_user,omitempty"`
}

// EscalateSLA records the escalation on the ticket's audit trail and takes its actions (docs/sla.md).
func (a *Activities) EscalateSLA(ctx context.Context, in EscalateInput) (Escalated, error) {
	if in.Kind != "warning" && in.Kind != "breach" && in.Kind != "achieved" {
		return Escalated{}, classify(domain.Invalid("kind", "must be warning, breach or achieved"))
	}
	e, err := a.Store.Escalate(ctx, in.AccountID, in.TicketID, store.Escalation{Kind: in.Kind, Target: in.Target,
		PolicyID: in.PolicyID, DueAt: in.DueAt, Actions: in.Actions})
	if err != nil {
		return Escalated{}, classify(err)
	}
	return Escalated{Notified: e.Notified, AssignTeam: e.AssignTeam, AssignUser: e.AssignUser}, nil
}
