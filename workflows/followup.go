package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// followsUp reports whether a customer's message opens a follow-up ticket: the ticket is closed, and this
// run takes changeFollowUp (runs from before reopen a closed ticket in place).
func (c *conversation) followsUp(ctx workflow.Context) bool {
	return c.state.Status == domain.TicketStatusClosed &&
		workflow.GetVersion(ctx, changeFollowUp, workflow.DefaultVersion, 1) == 1
}

// openFollowUp opens the follow-up of the closed ticket on the customer's message messageID; the
// conversation then carries the follow-up, routed like a new ticket with the closed one's agent first.
func (c *conversation) openFollowUp(ctx workflow.Context, messageID string) error {
	var f activities.FollowUpOpened
	err := workflow.ExecuteActivity(ctx, a.OpenFollowUp, activities.FollowUpInput{
		AccountID: c.in.AccountID, TicketID: c.state.TicketID, MessageID: messageID,
	}).Get(ctx, &f)
	if err != nil {
		return c.fail(ctx, "open follow-up", err)
	}
	if f.TicketID == c.state.TicketID { // not closed after all: the lifecycle's usual answer
		c.state.Status = f.Status
		if c.reopensOnMessage(ctx) {
			return c.reopenOnMessage(ctx)
		}
		return c.showStatus(ctx)
	}
	if err := c.csatCancel(ctx, "the customer wrote again and a follow-up ticket was opened"); err != nil {
		return err
	}
	c.stopCloseTimer()
	c.stopWaitTimer()
	c.state.TicketID, c.state.Status, c.state.SLA = f.TicketID, f.Status, nil
	c.state.AssigneeID, c.state.WaitingSince = "", nil
	if err := workflow.UpsertTypedSearchAttributes(ctx, TicketIDKey.ValueSet(f.TicketID)); err != nil {
		return fmt.Errorf("upsert ticket id: %w", err)
	}
	if err := c.showStatus(ctx); err != nil {
		return err
	}
	return c.route(ctx, f.PreviousAssignee)
}
