package activities

import (
	"context"

	"github.com/routedesk/routedesk/domain"
)

// resolved says whether a ticket in this status counts as resolved for the
// resolution-time measure (the first time only). The ticket lifecycle owns
// statuses: this is the one place that decides what "resolved" means.
func resolved(status string) bool {
	return status == domain.TicketStatusClosed || status == domain.TicketStatusSolved
}

// measureChange takes the measures an agent's change completes: resolution
// when it resolves the ticket, the wait for an agent when it gives the ticket
// its first one. Each is taken once per ticket, so a retried activity measures nothing twice.
func (a *Activities) measureChange(ctx context.Context, accountID, ticketID string, out ChangeResult) error {
	if resolved(out.Status) {
		if _, err := a.Store.MeasureResolution(ctx, accountID, ticketID); err != nil {
			return err
		}
	}
	if out.AssigneeID != "" {
		if _, err := a.Store.MeasureAgentWait(ctx, ticketID); err != nil {
			return err
		}
	}
	return nil
}
