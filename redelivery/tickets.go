package redelivery

import (
	"context"
	"time"
)

// routeStranded starts the routing of channel-less tickets whose workflow never started (Temporal
// was unreachable when they were created), with the loop's bounded attempts and backoff.
func (l *Loop) routeStranded(ctx context.Context, grace time.Duration) {
	claimed, err := l.store.ClaimTicketsToRoute(ctx, grace, l.cfg.Backoff, l.cfg.MaxBackoff, l.cfg.MaxAttempts, batch)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("redrive: claim tickets to route", "error", err)
		}
		return
	}
	for _, r := range claimed {
		t, err := l.store.Ticket(ctx, r.AccountID, r.TicketID)
		if err == nil {
			err = l.cfg.StartRouting(ctx, r.AccountID, t)
		}
		if err != nil {
			l.log.Warn("redrive: start a ticket's routing; will retry", "ticket_id", r.TicketID, "attempt", r.Attempts, "error", err)
			if deliveryErrorKind(err) == errUnreachable {
				return
			}
			continue
		}
		l.log.Info("redrive: started a ticket's routing", "ticket_id", r.TicketID, "attempt", r.Attempts)
	}
}
