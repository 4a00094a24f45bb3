package server

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/serviceerror"

	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// Redelivery defaults (Config.RedriveMaxAttempts, RedriveBackoff, RedriveMaxBackoff).
const (
	DefaultRedriveMaxAttempts = 10
	DefaultRedriveBackoff     = time.Second
	DefaultRedriveMaxBackoff  = 5 * time.Minute
)

const (
	// redriveBatch is how many messages one claim takes.
	redriveBatch = 20
	// redriveLease is how long a claim keeps other servers off a message; short,
	// so a crashed server's claims pass quickly to the others: an attempt takes
	// at most deliverTimeout, and a batch starts attempts only in the lease's
	// first second (see redriveBatch), handing the rest back for the next claim.
	redriveLease = deliverTimeout + 2*time.Second
)

// redriveMetrics counts what the redrive loop did.
type redriveMetrics struct {
	delivered prometheus.Counter
	retried   prometheus.Counter
	failed    prometheus.Counter
	pending   prometheus.Gauge
}

func newRedriveMetrics(reg prometheus.Registerer) *redriveMetrics {
	m := &redriveMetrics{
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_redrive_delivered_total", Help: "Stored inbound messages the redrive loop delivered to their workflow.",
		}),
		retried: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_redrive_retried_total", Help: "Redelivery attempts that failed and were scheduled again with backoff.",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_redrive_failed_total", Help: "Inbound messages given up on (attempts exhausted or a non-retryable error); see GET /v1/deliveries?state=failed.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "routedesk_deliveries_pending", Help: "Inbound messages stored but not yet accepted by their workflow (not failed), as of the last redrive pass.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.delivered, m.retried, m.failed, m.pending)
	}
	return m
}

// Redrive delivers stored messages that never reached their workflow (Temporal
// was down, or the process died between storing and signalling), every
// interval, until ctx ends. Messages younger than grace are left to the
// request that is delivering them. Each message is claimed for this process
// (other servers skip it), tried on its own, retried with exponential backoff
// and jitter, and marked failed after Config.RedriveMaxAttempts attempts or a
// non-retryable error; one bad message never holds up the others.
func (s *Server) Redrive(ctx context.Context, interval, grace time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.redriveOnce(ctx, grace)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// redriveOnce claims and delivers batches until no message is due, Temporal is unreachable or ctx ends.
func (s *Server) redriveOnce(ctx context.Context, grace time.Duration) {
	for ctx.Err() == nil {
		batch, err := s.store.ClaimUndelivered(ctx, grace, redriveLease, redriveBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("redrive: claim undelivered messages", "error", err)
			}
			return
		}
		if !s.redriveBatch(ctx, batch) || len(batch) < redriveBatch {
			break
		}
	}
	if ctx.Err() != nil {
		return
	}
	s.routeStranded(ctx, grace)
	if n, err := s.store.PendingDeliveries(ctx); err == nil {
		s.redrive.pending.Set(float64(n))
	}
}

// redriveBatch delivers claimed messages one by one; it returns false when
// Temporal is unreachable, after handing the untried rest back unclaimed.
func (s *Server) redriveBatch(ctx context.Context, batch []store.Undelivered) bool {
	leaseEnds := time.Now().Add(redriveLease - deliverTimeout - time.Second)
	for i, m := range batch {
		if ctx.Err() != nil {
			s.release(ctx, batch[i:], "not tried: the server was stopping")
			return false
		}
		if i > 0 && time.Now().After(leaseEnds) {
			s.release(ctx, batch[i:], "")
			return true
		}
		err := s.redeliver(ctx, m)
		if err == nil {
			s.redrive.delivered.Inc()
			s.log.Info("redrive: delivered", "message_id", m.MessageID, "attempt", m.Attempts)
			continue
		}
		if ctx.Err() != nil {
			s.release(ctx, batch[i:], "not tried: the server was stopping")
			return false
		}
		reason := err.Error()
		switch kind := deliveryErrorKind(err); {
		case kind == errUnreachable:
			// Temporal itself is down: no message is at fault, so the attempt is not counted.
			s.retryLater(ctx, m, reason, true)
			s.release(ctx, batch[i+1:], "not tried: Temporal was unreachable")
			return false
		case kind == errPermanent || m.Attempts >= s.cfg.RedriveMaxAttempts:
			if kind != errPermanent {
				reason = "gave up after " + itoa(int64(m.Attempts)) + " attempts: " + reason
			}
			if err := s.store.FailDelivery(context.WithoutCancel(ctx), m.MessageID, reason); err != nil {
				s.log.Warn("redrive: mark delivery failed", "message_id", m.MessageID, "error", err)
				continue
			}
			s.redrive.failed.Inc()
			s.log.Error("redrive: delivery failed for good", "message_id", m.MessageID, "attempts", m.Attempts, "reason", reason)
		default:
			s.retryLater(ctx, m, reason, false)
		}
	}
	return true
}

// redeliver delivers one claimed message, first replacing a stored workflow id
// Temporal cannot accept (kept from before ids were encoded) by the encoded one.
func (s *Server) redeliver(ctx context.Context, m store.Undelivered) error {
	if !workflows.ValidWorkflowID(m.WorkflowID) && m.ThreadKey != "" {
		id, err := s.store.RepairWorkflowID(ctx, m.ConversationID, m.WorkflowID, s.cfg.ConversationIDs.ID(m.ChannelID, m.ThreadKey))
		if err != nil {
			return err
		}
		m.WorkflowID = id
	}
	return s.deliver(ctx, m)
}

// retryLater schedules the message's next attempt after an exponential, jittered backoff.
func (s *Server) retryLater(ctx context.Context, m store.Undelivered, reason string, refund bool) {
	at := time.Now().Add(s.backoff(m.Attempts))
	if err := s.store.RetryDeliveryAt(context.WithoutCancel(ctx), m.MessageID, reason, at, refund); err != nil {
		s.log.Warn("redrive: schedule retry", "message_id", m.MessageID, "error", err)
		return
	}
	s.redrive.retried.Inc()
	s.log.Warn("redrive: delivery failed; will retry", "message_id", m.MessageID, "attempt", m.Attempts, "next_attempt_at", at, "error", reason)
}

// release hands claimed but untried messages back, due now, without counting an attempt; reason "" keeps the last one.
func (s *Server) release(ctx context.Context, ms []store.Undelivered, reason string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deliverTimeout)
	defer cancel()
	for _, m := range ms {
		if err := s.store.RetryDeliveryAt(rctx, m.MessageID, reason, time.Now(), true); err != nil {
			s.log.Warn("redrive: release claim", "message_id", m.MessageID, "error", err)
		}
	}
}

// backoff is the wait before the attempt after attempt n: RedriveBackoff
// doubled per attempt, at most RedriveMaxBackoff, with the upper half jittered.
func (s *Server) backoff(n int) time.Duration {
	d := s.cfg.RedriveBackoff
	for i := 1; i < n && d < s.cfg.RedriveMaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.cfg.RedriveMaxBackoff)
	return d/2 + rand.N(d/2+1)
}

type errorKind int

const (
	errRetryable   errorKind = iota
	errUnreachable           // Temporal could not be reached at all
	errPermanent             // Temporal refused this message's request; retrying cannot help
)

// deliveryErrorKind sorts a delivery error: an InvalidArgument refusal is
// permanent, except a search attribute missing on the namespace (registered
// later by a worker); an unavailable frontend means Temporal is down.
func deliveryErrorKind(err error) errorKind {
	var invalid *serviceerror.InvalidArgument
	var unavailable *serviceerror.Unavailable
	switch {
	case errors.As(err, &invalid):
		if strings.Contains(invalid.Error(), "search attribute") {
			return errRetryable
		}
		return errPermanent
	case errors.As(err, &unavailable):
		return errUnreachable
	}
	return errRetryable
}
