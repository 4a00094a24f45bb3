package redelivery

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// redeliver delivers one claimed message, first replacing a stored workflow id
// Temporal cannot accept (kept from before ids were encoded) by the encoded one.
func (l *Loop) redeliver(ctx context.Context, m store.Undelivered) error {
	if !workflows.ValidWorkflowID(m.WorkflowID) && m.ThreadKey != "" {
		id, err := l.store.RepairWorkflowID(ctx, m.ConversationID, m.WorkflowID, l.cfg.ConversationIDs.ID(m.ChannelID, m.ThreadKey))
		if err != nil {
			return err
		}
		m.WorkflowID = id
	}
	return l.cfg.Deliver(ctx, m)
}

// retryLater schedules the message's next attempt after an exponential, jittered backoff.
func (l *Loop) retryLater(ctx context.Context, m store.Undelivered, reason string, refund bool) {
	at := time.Now().Add(l.backoff(m.Attempts))
	if err := l.store.RetryDeliveryAt(context.WithoutCancel(ctx), m.MessageID, reason, at, refund); err != nil {
		l.log.Warn("redrive: schedule retry", "message_id", m.MessageID, "error", err)
		return
	}
	l.metrics.retried.Inc()
	l.log.Warn("redrive: delivery failed; will retry", "message_id", m.MessageID, "attempt", m.Attempts, "next_attempt_at", at, "error", reason)
}

// retryBusy schedules the message's next attempt within busyRetry and gives the attempt back.
func (l *Loop) retryBusy(ctx context.Context, m store.Undelivered, reason string) {
	d := min(busyRetry, l.cfg.Backoff)
	at := time.Now().Add(d/2 + rand.N(d/2+1))
	if err := l.store.RetryDeliveryBusy(context.WithoutCancel(ctx), m.MessageID, reason, at); err != nil {
		l.log.Warn("redrive: schedule retry", "message_id", m.MessageID, "error", err)
		return
	}
	l.metrics.busy.Inc()
	l.log.Info("redrive: Temporal busy; will retry soon", "message_id", m.MessageID, "busy_retries", m.BusyRetries+1, "next_attempt_at", at, "error", reason)
}

// release hands claimed but untried messages back, due now, without counting an attempt; reason "" keeps the last one.
func (l *Loop) release(ctx context.Context, ms []store.Undelivered, reason string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.AttemptTimeout)
	defer cancel()
	for _, m := range ms {
		if err := l.store.RetryDeliveryAt(rctx, m.MessageID, reason, time.Now(), true); err != nil {
			l.log.Warn("redrive: release claim", "message_id", m.MessageID, "error", err)
		}
	}
}

// backoff is the wait before the attempt after attempt n: Config.Backoff
// doubled per attempt, at most Config.MaxBackoff, with the upper half jittered.
func (l *Loop) backoff(n int) time.Duration {
	d := l.cfg.Backoff
	for i := 1; i < n && d < l.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, l.cfg.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

type errorKind int

const (
	errRetryable   errorKind = iota
	errUnreachable           // Temporal could not be reached at all
	errPermanent             // Temporal refused this message's request; retrying cannot help
	errBusy                  // Temporal answered too slowly or shed load: the engine is busy, not the message at fault
)

// deliveryErrorKind sorts a delivery error: an InvalidArgument refusal is
// permanent, except a search attribute missing on the namespace (registered
// later by a worker); an unavailable frontend means Temporal is down; a
// timeout or a resource-exhausted answer means it is busy.
func deliveryErrorKind(err error) errorKind {
	var invalid *serviceerror.InvalidArgument
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var exhausted *serviceerror.ResourceExhausted
	switch {
	case errors.As(err, &invalid):
		if strings.Contains(invalid.Error(), "search attribute") {
			return errRetryable
		}
		return errPermanent
	case errors.As(err, &unavailable):
		return errUnreachable
	case errors.As(err, &deadline), errors.As(err, &exhausted), errors.Is(err, context.DeadlineExceeded):
		return errBusy
	}
	return errRetryable
}
