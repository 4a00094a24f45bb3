package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
)

// slaChoose chooses the ticket's SLA policy again (its priority, team, channel or status changed), moves the
// pauses with its status, and re-arms the deadline timer. The first choice starts the clocks.
func (c *conversation) slaChoose(ctx workflow.Context) error {
	if c.state.TicketID == "" || !c.slaOn(ctx) {
		return nil
	}
	var ch activities.SLAChoice
	// A local activity: one marker in the history, no extra workflow task for every new ticket.
	lctx := workflow.WithLocalActivityOptions(ctx, openOptions)
	err := workflow.ExecuteLocalActivity(lctx, a.ChooseSLA, activities.TicketRef{AccountID: c.in.AccountID, TicketID: c.state.TicketID}).Get(ctx, &ch)
	if err != nil {
		return c.slaWarn(ctx, "choose sla", err)
	}
	now := workflow.Now(ctx)
	if c.state.SLA == nil {
		c.state.SLA = &SLAState{Start: now}
	}
	s := c.state.SLA
	s.Policy, s.TeamID = ch.Policy, ch.TeamID
	s.follow(ch.Status, now)
	return c.slaRearm(ctx)
}

// slaCustomerWrote follows a customer's message: the first one starts the clocks; one after an agent's
// reply starts the next-response clock.
func (c *conversation) slaCustomerWrote(ctx workflow.Context) error {
	if c.state.TicketID == "" || !c.slaOn(ctx) {
		return nil
	}
	s := c.state.SLA
	if s == nil || s.Status != c.state.Status {
		return c.slaChoose(ctx) // the first message, or one that reopened the ticket
	}
	if s.FirstResponded && s.NextSince == nil {
		now := workflow.Now(ctx)
		s.NextSince = &now
		s.forget(targetNextResponse)
		return c.slaRearm(ctx)
	}
	return nil
}

// slaAgentReplied stops the first- and next-response clocks; a target met before its breach is recorded as achieved.
func (c *conversation) slaAgentReplied(ctx workflow.Context) error {
	s := c.state.SLA
	if s == nil || !c.slaOn(ctx) {
		return nil
	}
	evs, _ := s.events()
	for _, target := range []string{targetFirstResponse, targetNextResponse} {
		for _, ev := range evs {
			if ev.target == target && ev.kind == "breach" {
				if err := c.slaRecord(ctx, slaEvent{target: target, kind: "achieved", at: ev.at}); err != nil {
					return err
				}
			}
		}
	}
	s.FirstResponded, s.NextSince = true, nil
	return c.slaRearm(ctx)
}

// slaRearm starts the timer of the next warning or breach (forgetting the one before) and shows the deadline.
func (c *conversation) slaRearm(ctx workflow.Context) error {
	if c.cancelSLA != nil {
		c.cancelSLA()
	}
	c.slaTimer, c.cancelSLA = nil, nil
	evs, dueAt := c.state.SLA.events()
	c.state.SLA.DueAt = dueAt
	if len(evs) > 0 {
		d := evs[0].at.Sub(workflow.Now(ctx))
		if d < time.Millisecond {
			d = time.Millisecond
		}
		timerCtx, cancel := workflow.WithCancel(ctx)
		c.slaTimer, c.cancelSLA = workflow.NewTimer(timerCtx, d), cancel
	}
	return c.slaShow(ctx)
}

// onSLADue fires the warnings and breaches that are due (a wake from a timer that was re-armed fires none),
// then re-arms.
func (c *conversation) onSLADue(ctx workflow.Context) error {
	c.slaTimer, c.cancelSLA = nil, nil
	s := c.state.SLA
	if s == nil {
		return nil
	}
	now := workflow.Now(ctx)
	evs, _ := s.events()
	for _, ev := range evs {
		if ev.at.After(now) {
			break
		}
		s.Fired = append(s.Fired, ev.target+":"+ev.kind)
		s.Breached = s.Breached || ev.kind == "breach"
		if err := c.slaRecord(ctx, ev); err != nil {
			return err
		}
	}
	return c.slaRearm(ctx)
}

// slaRecord records an escalation (or an achieved target) on the ticket's audit trail with its actions,
// and makes the reassignment they ask for.
func (c *conversation) slaRecord(ctx workflow.Context, ev slaEvent) error {
	var done activities.Escalated
	err := workflow.ExecuteActivity(ctx, a.EscalateSLA, activities.EscalateInput{AccountID: c.in.AccountID, TicketID: c.state.TicketID,
		Kind: ev.kind, Target: ev.target, PolicyID: c.state.SLA.Policy.ID, DueAt: ev.at, Actions: ev.actions}).Get(ctx, &done)
	if err != nil {
		return c.slaWarn(ctx, "sla "+ev.kind, err)
	}
	if done.AssignTeam == "" && done.AssignUser == "" {
		return nil
	}
	r := ChangeRequest{Via: "sla"}
	if done.AssignTeam != "" {
		r.AssignTeam = &done.AssignTeam
	}
	if done.AssignUser != "" {
		r.AssignUser = &done.AssignUser
	}
	if _, err := c.change(ctx, r); err != nil {
		workflow.GetLogger(ctx).Warn("sla reassignment refused", "ticket_id", c.state.TicketID, "error", err)
	}
	return nil
}

// slaShow keeps the SlaDueAt and SlaBreached search attributes and the ticket's record in step with the clocks.
func (c *conversation) slaShow(ctx workflow.Context) error {
	s := c.state.SLA
	policyID := ""
	if s.Policy != nil {
		policyID = s.Policy.ID
	}
	shown := fmt.Sprintf("%s|%v|%t|%s", policyID, s.DueAt, s.Breached, s.TeamID)
	if shown == s.Shown || (s.Shown == "" && policyID == "" && s.TeamID == "") {
		return nil
	}
	s.Shown = shown
	if err := c.slaAttributes(ctx, policyID != ""); err != nil {
		return err
	}
	err := workflow.ExecuteActivity(ctx, a.ShowSLA, activities.SLAShown{AccountID: c.in.AccountID, TicketID: c.state.TicketID,
		PolicyID: policyID, DueAt: s.DueAt, Breached: s.Breached, TeamID: s.TeamID, At: workflow.Now(ctx)}).Get(ctx, nil)
	if err != nil {
		return c.slaWarn(ctx, "show sla", err)
	}
	return nil
}

// slaResume re-arms the deadline timer carried over by continue-as-new.
func (c *conversation) slaResume(ctx workflow.Context) error {
	if c.state.SLA == nil || !c.slaOn(ctx) {
		return nil
	}
	return c.slaRearm(ctx)
}

// slaWarn logs an SLA step's permanent failure (a ticket deleted meanwhile, say): the conversation goes on without it.
func (c *conversation) slaWarn(ctx workflow.Context, step string, err error) error {
	workflow.GetLogger(ctx).Warn("sla step failed", "step", step, "ticket_id", c.state.TicketID, "error", err)
	return nil
}

// slaAttributes upserts SlaDueAt and SlaBreached, once a policy has applied to the ticket.
func (c *conversation) slaAttributes(ctx workflow.Context, policy bool) error {
	s := c.state.SLA
	if !policy && !s.Visible {
		return nil
	}
	s.Visible = true
	due := SlaDueAtKey.ValueUnset()
	if s.DueAt != nil {
		due = SlaDueAtKey.ValueSet(*s.DueAt)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, due, SlaBreachedKey.ValueSet(s.Breached)); err != nil {
		return fmt.Errorf("upsert sla: %w", err)
	}
	return nil
}
