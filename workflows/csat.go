package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// csatOn reports whether this run sends satisfaction surveys (changeCSAT); decided as the run starts (setup).
func (c *conversation) csatOn(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeCSAT, workflow.DefaultVersion, 1) == 1
}

// csatFollow follows the ticket's status for its survey: a ticket just solved schedules it (when its
// account sends surveys) on a durable timer; any other status before the invitation went out cancels it.
// Closing by the solved window (onSolvedDue) does not come here: the survey goes out as planned.
func (c *conversation) csatFollow(ctx workflow.Context) error {
	if !c.csatOn(ctx) || c.state.TicketID == "" {
		return nil
	}
	if c.state.Status != domain.TicketStatusSolved {
		return c.csatCancel(ctx, "the ticket was "+c.state.Status+" before the invitation went out")
	}
	if c.csatTimer != nil {
		return nil // solved again while its survey waits
	}
	var s activities.CSATScheduled
	err := workflow.ExecuteActivity(ctx, a.ScheduleCSAT, activities.TicketRef{AccountID: c.in.AccountID, TicketID: c.state.TicketID}).Get(ctx, &s)
	if err != nil {
		return c.fail(ctx, "schedule survey", err)
	}
	if s.DueAt != nil {
		c.armCSATTimer(ctx, *s.DueAt)
	}
	return nil
}

// csatCancel cancels the ticket's survey waiting on its timer, with the reason; nothing when none waits.
func (c *conversation) csatCancel(ctx workflow.Context, reason string) error {
	if c.csatTimer == nil {
		return nil
	}
	c.stopCSATTimer()
	err := workflow.ExecuteActivity(ctx, a.CancelCSAT, activities.CSATCancel{AccountID: c.in.AccountID, TicketID: c.state.TicketID, Reason: reason}).Get(ctx, nil)
	if err != nil {
		return c.fail(ctx, "cancel survey", err)
	}
	return nil
}

// armCSATTimer starts the durable timer of the survey's invitation, due at at.
func (c *conversation) armCSATTimer(ctx workflow.Context, at time.Time) {
	d := max(at.Sub(workflow.Now(ctx)), time.Millisecond)
	timerCtx, cancel := workflow.WithCancel(ctx)
	c.csatTimer, c.cancelCSAT = workflow.NewTimer(timerCtx, d), cancel
	c.state.CSATAt = &at
}

// stopCSATTimer forgets the survey's timer.
func (c *conversation) stopCSATTimer() {
	if c.cancelCSAT != nil {
		c.cancelCSAT()
	}
	c.csatTimer, c.cancelCSAT, c.state.CSATAt = nil, nil, nil
}

// onCSATDue sends the survey's invitation once its delay is over: the activity checks it is still due
// (PostgreSQL decides) and stores it; its own DeliveryWorkflow sends it, durably, like a reply, and its
// outcome (sent, or failed with the reason) is the survey's.
func (c *conversation) onCSATDue(ctx workflow.Context) error {
	c.stopCSATTimer()
	var inv activities.CSATInvitation
	err := workflow.ExecuteActivity(ctx, a.InviteCSAT, activities.TicketRef{AccountID: c.in.AccountID, TicketID: c.state.TicketID}).Get(ctx, &inv)
	if err != nil {
		return c.fail(ctx, "invite to survey", err)
	}
	if inv.Delivery == nil {
		return nil
	}
	d := *inv.Delivery
	retryFor := inv.RetryFor
	if retryFor <= 0 {
		retryFor = 24 * time.Hour
	}
	d.GiveUpAt, d.FirstInterval, d.MaxInterval = workflow.Now(ctx).Add(retryFor), DeliveryFirstInterval, deliveryMaxInterval(retryFor)
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            DeliveryWorkflowID(d.MessageID, 0),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowRunTimeout:    retryFor + time.Hour,
		TypedSearchAttributes: temporal.NewSearchAttributes(AccountIDKey.ValueSet(c.in.AccountID), TicketIDKey.ValueSet(d.TicketID)),
	}), DeliveryWorkflowName, d)
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		var started *temporal.ChildWorkflowExecutionAlreadyStartedError
		if !errors.As(err, &started) {
			return fmt.Errorf("start the survey invitation's delivery: %w", err)
		}
	}
	return nil
}
