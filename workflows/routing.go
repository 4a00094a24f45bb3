package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// route applies the channel's assignment mode; preferUser (a reopened
// ticket's previous agent) is tried first.
func (c *conversation) route(ctx workflow.Context, preferUser string) error {
	if workflow.GetVersion(ctx, changeAssignment, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return c.setRoutingState(ctx, domain.RoutingUnassigned, "") // histories from before assignment existed
	}
	var res activities.RouteResult
	err := workflow.ExecuteActivity(ctx, a.Route, activities.RouteInput{
		AccountID: c.in.AccountID, TicketID: c.state.TicketID, ContactID: c.state.ContactID,
		Routing: c.state.Routing, RequiredSkills: c.state.RequiredSkills, PreferUser: preferUser,
	}).Get(ctx, &res)
	if err != nil {
		return c.fail(ctx, "route", err)
	}
	return c.routed(ctx, res)
}

// routed follows where routing left the ticket; also are further search
// attributes to set in the same upsert as the routing state.
func (c *conversation) routed(ctx workflow.Context, res activities.RouteResult, also ...temporal.SearchAttributeUpdate) error {
	if res.OwnerUnavailable != "" && workflow.GetVersion(ctx, changeNotifyOwner, workflow.DefaultVersion, 1) == 1 {
		// Sent alongside the wait, not before it: an SMTP server that is down must not hold up the conversation.
		notification := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, notifyOptions), a.NotifyOwner, activities.NotifyOwnerInput{
			AccountID: c.in.AccountID, TicketID: c.state.TicketID, OwnerUserID: res.OwnerUnavailable,
		})
		c.pending = append(c.pending, besideTask{what: "owner notification", future: notification})
	}
	switch res.State {
	case domain.RoutingAssigned:
		return c.assignedTo(ctx, res.UserID, also...)
	case domain.RoutingWaitingForAgent:
		now := workflow.Now(ctx)
		c.state.WaitingSince = &now
		timeout := time.Duration(c.state.Routing.WithDefaults().TimeoutSeconds) * time.Second
		until := now.Add(timeout)
		c.state.WaitUntil = &until
		c.armWaitTimer(ctx, timeout)
	}
	return c.showRouting(ctx, res.State, "", also...)
}

// armWaitTimer starts the durable timer of the wait for an agent.
func (c *conversation) armWaitTimer(ctx workflow.Context, d time.Duration) {
	if d < time.Millisecond {
		d = time.Millisecond
	}
	timerCtx, cancel := workflow.WithCancel(ctx)
	c.waitTimer, c.cancelWait = workflow.NewTimer(timerCtx, d), cancel
}

// stopWaitTimer forgets the wait for an agent.
func (c *conversation) stopWaitTimer() {
	if c.cancelWait != nil {
		c.cancelWait()
	}
	c.waitTimer, c.cancelWait = nil, nil
	c.state.WaitingSince, c.state.WaitUntil = nil, nil
}

// assignedTo records that userID has the ticket; also are further search attributes to set.
func (c *conversation) assignedTo(ctx workflow.Context, userID string, also ...temporal.SearchAttributeUpdate) error {
	c.stopWaitTimer()
	return c.showRouting(ctx, domain.RoutingAssigned, userID, also...)
}

// showRouting keeps the query state and search attributes in step with the
// ticket; also are further search attributes to set in the same upsert.
func (c *conversation) showRouting(ctx workflow.Context, state, userID string, also ...temporal.SearchAttributeUpdate) error {
	c.state.RoutingState, c.state.AssigneeID = state, userID
	assignee := AssigneeIDKey.ValueSet(userID)
	if userID == "" {
		assignee = AssigneeIDKey.ValueUnset()
	}
	updates := append([]temporal.SearchAttributeUpdate{RoutingStateKey.ValueSet(state), assignee}, also...)
	if since := c.waitingSince(ctx, state); since != nil {
		updates = append(updates, since)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		return fmt.Errorf("upsert routing state: %w", err)
	}
	c.describe(ctx)
	return nil
}

// onAgentAssigned handles a dispatch that gave the waiting ticket an agent.
func (c *conversation) onAgentAssigned(ctx workflow.Context, userID string) error {
	if userID == "" || c.state.AssigneeID == userID {
		return nil
	}
	return c.assignedTo(ctx, userID)
}

// onAssigneeRemoved follows PostgreSQL when the ticket's agent was deleted:
// no assignee, and an assigned ticket becomes unassigned.
func (c *conversation) onAssigneeRemoved(ctx workflow.Context, userID string) error {
	if userID == "" || c.state.AssigneeID != userID {
		return nil
	}
	state := c.state.RoutingState
	if state == domain.RoutingAssigned {
		state = domain.RoutingUnassigned
	}
	return c.showRouting(ctx, state, "")
}

// onWaitOver ends the wait for an agent: the ticket stays in its queue, unassigned.
func (c *conversation) onWaitOver(ctx workflow.Context) error {
	if c.state.RoutingState != domain.RoutingWaitingForAgent {
		c.stopWaitTimer() // cancelled by an update that settled the ticket
		return nil
	}
	var user string
	err := workflow.ExecuteActivity(ctx, a.StopWaiting, activities.TicketRef{AccountID: c.in.AccountID, TicketID: c.state.TicketID}).Get(ctx, &user)
	if err != nil {
		return c.fail(ctx, "stop waiting", err)
	}
	if user != "" {
		return c.assignedTo(ctx, user)
	}
	c.stopWaitTimer()
	return c.showRouting(ctx, domain.RoutingUnassigned, "")
}

// reopen opens a closed ticket again on a new customer message: back to its
// previous agent if they are available and have room, else through routing.
func (c *conversation) reopen(ctx workflow.Context) error {
	var prev string
	err := workflow.ExecuteActivity(ctx, a.Reopen, activities.TicketRef{AccountID: c.in.AccountID, TicketID: c.state.TicketID}).Get(ctx, &prev)
	if err != nil {
		return c.fail(ctx, "reopen", err)
	}
	c.state.Status = "open"
	return c.route(ctx, prev)
}

func (c *conversation) setRoutingState(ctx workflow.Context, state, event string) error {
	err := workflow.ExecuteActivity(ctx, a.SetRoutingState, activities.RoutingStateInput{
		AccountID: c.in.AccountID, TicketID: c.state.TicketID, State: state, Event: event,
	}).Get(ctx, nil)
	if err != nil {
		return c.fail(ctx, "set routing state", err)
	}
	c.state.RoutingState = state
	if err := workflow.UpsertTypedSearchAttributes(ctx, RoutingStateKey.ValueSet(state)); err != nil {
		return fmt.Errorf("upsert routing state: %w", err)
	}
	return nil
}
