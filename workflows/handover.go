package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// MemoContinuedIn is the memo field of a ticket's own workflow that names the
// conversation workflow the ticket moved to (TicketAttached).
const MemoContinuedIn = "continued_in"

// handOver ends a ticket's own workflow because a reply opened the ticket's
// conversation on a channel: it lets running work settle, records where the
// ticket went (memo and current details, for the Temporal UI) and completes,
// so ops read a handover, not a failure.
func (c *conversation) handOver(ctx workflow.Context, to TicketAttached) error {
	c.stopWaitTimer()
	if err := c.settle(ctx); err != nil {
		return err
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{MemoContinuedIn: to.WorkflowID}); err != nil {
		return fmt.Errorf("record the handover: %w", err)
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Handed over** the ticket `%s` continues in workflow `%s` "+
		"(its conversation on channel `%s`); this workflow ended on purpose.\n", c.state.TicketID, to.WorkflowID, to.ChannelID))
	return nil
}
