package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// lifecycle reports whether this run follows the ticket lifecycle (changeLifecycle): the TicketStatus
// search attribute, pending and solved tickets reopened by a customer's message, solved ones closed by a
// durable timer. Decided as the run starts (setup); runs from before keep the old behaviour.
func (c *conversation) lifecycle(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeLifecycle, workflow.DefaultVersion, 1) == 1
}

// showStatus keeps the TicketStatus search attribute in step with the ticket's status.
func (c *conversation) showStatus(ctx workflow.Context) error {
	if c.state.Status == "" || !c.lifecycle(ctx) {
		return nil
	}
	if cur, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(TicketStatusKey); ok && cur == c.state.Status {
		return nil
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, TicketStatusKey.ValueSet(c.state.Status)); err != nil {
		return fmt.Errorf("upsert ticket status: %w", err)
	}
	return nil
}

// statusChanged follows a change of the ticket's status: a solved ticket closes at closeAt on a durable
// timer; any other status forgets that timer.
func (c *conversation) statusChanged(ctx workflow.Context, closeAt *time.Time) error {
	if !c.lifecycle(ctx) {
		return nil
	}
	c.stopCloseTimer()
	if c.state.Status == domain.TicketStatusSolved && closeAt != nil {
		c.armCloseTimer(ctx, *closeAt)
	}
	if err := c.csatFollow(ctx); err != nil {
		return err
	}
	return c.showStatus(ctx)
}

// armCloseTimer starts the durable timer that closes a solved ticket at at.
func (c *conversation) armCloseTimer(ctx workflow.Context, at time.Time) {
	d := at.Sub(workflow.Now(ctx))
	if d < time.Millisecond {
		d = time.Millisecond
	}
	timerCtx, cancel := workflow.WithCancel(ctx)
	c.closeTimer, c.cancelClose = workflow.NewTimer(timerCtx, d), cancel
	c.state.CloseAt = &at
}

// stopCloseTimer forgets the solved ticket's timer.
func (c *conversation) stopCloseTimer() {
	if c.cancelClose != nil {
		c.cancelClose()
	}
	c.closeTimer, c.cancelClose, c.state.CloseAt = nil, nil, nil
}

// closeRecheck is how soon a solved ticket not yet due by PostgreSQL's clock is looked at again.
const closeRecheck = time.Minute

// onSolvedDue closes the solved ticket whose window is over; PostgreSQL decides (the ticket may have
// been reopened, or its clock may lag the timer's).
func (c *conversation) onSolvedDue(ctx workflow.Context) error {
	c.stopCloseTimer()
	if c.state.Status != domain.TicketStatusSolved {
		return nil
	}
	var status string
	err := workflow.ExecuteActivity(ctx, a.CloseSolved, activities.TicketRef{AccountID: c.in.AccountID, TicketID: c.state.TicketID}).Get(ctx, &status)
	if err != nil {
		return c.fail(ctx, "close solved ticket", err)
	}
	c.state.Status = status
	if status == domain.TicketStatusSolved {
		c.armCloseTimer(ctx, workflow.Now(ctx).Add(closeRecheck))
	}
	return c.showStatus(ctx)
}

// reopensOnMessage reports whether a customer's message reopens the ticket: a closed one in runs from
// before changeFollowUp (followsUp is asked first), a pending or solved one under the lifecycle.
func (c *conversation) reopensOnMessage(ctx workflow.Context) bool {
	switch c.state.Status {
	case domain.TicketStatusClosed:
		return true
	case domain.TicketStatusPending, domain.TicketStatusSolved:
		return c.lifecycle(ctx)
	}
	return false
}

// reopenOnMessage reopens the ticket on a customer's message: a pending one keeps its agent, a solved or
// closed one is routed again, its previous agent first.
func (c *conversation) reopenOnMessage(ctx workflow.Context) error {
	if !c.lifecycle(ctx) {
		return c.reopen(ctx) // histories from before: closed tickets only
	}
	var r activities.Reopened
	err := workflow.ExecuteActivity(ctx, a.ReopenOnMessage, activities.TicketRef{AccountID: c.in.AccountID, TicketID: c.state.TicketID}).Get(ctx, &r)
	if err != nil {
		return c.fail(ctx, "reopen", err)
	}
	c.state.Status = r.Status
	if err := c.statusChanged(ctx, nil); err != nil {
		return err
	}
	if r.Reroute {
		return c.route(ctx, r.PreviousAssignee)
	}
	return nil
}
