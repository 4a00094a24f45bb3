package server

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
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
	// DefaultRedriveMaxBusyRetries bounds the retries of one message that found
	// Temporal busy (timed out or rate limited); those are not counted as
	// attempts, so a slow engine never exhausts a message's attempts nor sends
	// it into the long backoff. Beyond this (minutes of busy answers for one
	// message) busy answers count as ordinary attempts.
	DefaultRedriveMaxBusyRetries = 120
)

const (
	// redriveBatch is how many messages one claim takes.
	redriveBatch = 20
	// redriveLease is how long a claim keeps other servers off a message; short,
	// so a crashed server's claims pass quickly to the others: a claim takes
	// only messages with a free slot of the window, each attempt starts at
	// once and takes at most deliverTimeout.
	redriveLease = deliverTimeout + 2*time.Second
	// busyRetry is the longest wait before retrying a message that found Temporal busy (jittered down to half).
	busyRetry = time.Second
)

// redriveMetrics counts what the redrive loop did.
type redriveMetrics struct {
	delivered prometheus.Counter
	retried   prometheus.Counter
	failed    prometheus.Counter
	deferred  prometheus.Counter
	busy      prometheus.Counter
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
		deferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_deliveries_paced_total", Help: "Inbound messages a request stored and left to the redrive loop because the delivery window was full or older messages waited.",
		}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_redrive_busy_total", Help: "Redelivery attempts that found Temporal busy (timed out or rate limited): retried within a second, not counted as attempts.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "routedesk_deliveries_pending", Help: "Inbound messages stored but not yet accepted by their workflow (not failed), as of the last redrive pass.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.delivered, m.retried, m.failed, m.deferred, m.busy, m.pending)
	}
	return m
}

// Redrive delivers stored messages that never reached their workflow (Temporal
// was down, the process died between storing and signalling, or a request
// left its message to the loop because the delivery window was full) until
// ctx ends: at once when a slot of the window frees up or a request defers
// a message, and every interval in any case. Messages younger than grace
// are left to the request that is delivering them. Each message is claimed
// for this process (other servers skip it), tried on its own — concurrently
// up to the free slots of the window, a conversation's messages in order —
// retried with exponential backoff and jitter, and marked failed after
// Config.RedriveMaxAttempts attempts or a non-retryable error; one bad
// message never holds up the others. An attempt that finds Temporal busy
// (timed out, rate limited) is retried within a second and not counted.
func (s *Server) Redrive(ctx context.Context, interval, grace time.Duration) {
	go s.pace.run(ctx)
	var attempts sync.WaitGroup
	defer attempts.Wait()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.redriveOnce(ctx, grace, &attempts)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.routeStranded(ctx, grace)
			if n, err := s.store.PendingDeliveries(ctx); err == nil {
				s.redrive.pending.Set(float64(n))
			}
		case <-s.pace.freed:
		case <-s.pace.wake:
		}
	}
}

// redriveOnce claims one batch of due messages, as many as the window has
// free slots (at most redriveBatch), and starts delivering them; the next
// batch waits for the next wake-up (a slot freed, a message deferred, the
// interval), so several servers take turns on a backlog.
func (s *Server) redriveOnce(ctx context.Context, grace time.Duration, attempts *sync.WaitGroup) {
	if ctx.Err() != nil || time.Now().Before(s.unreachableUntil()) {
		return
	}
	want := min(s.pace.free(), redriveBatch)
	if want == 0 {
		return // a slot freeing up wakes the loop
	}
	batch, err := s.store.ClaimUndelivered(ctx, grace, redriveLease, want)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("redrive: claim undelivered messages", "error", err)
		}
		return
	}
	s.pace.setQueued(len(batch) == want)
	for _, run := range byConversation(batch) {
		for _, m := range run {
			s.pace.take(m.MessageID, m.ConversationID)
		}
		attempts.Add(1)
		go func() {
			defer attempts.Done()
			s.redriveRun(ctx, run)
		}()
	}
}

// byConversation splits a claimed batch (oldest first) into runs of one
// workflow's messages, each run in its original order.
func byConversation(batch []store.Undelivered) [][]store.Undelivered {
	var runs [][]store.Undelivered
	at := map[string]int{}
	for _, m := range batch {
		i, ok := at[m.WorkflowID]
		if !ok {
			i = len(runs)
			at[m.WorkflowID] = i
			runs = append(runs, nil)
		}
		runs[i] = append(runs[i], m)
	}
	return runs
}

// redriveRun delivers one conversation's claimed messages in order; when
// Temporal is unreachable it hands the untried rest back unclaimed and
// holds the loop's claims off for a second.
func (s *Server) redriveRun(ctx context.Context, run []store.Undelivered) {
	for i, m := range run {
		if ctx.Err() != nil || time.Now().Before(s.unreachableUntil()) {
			s.releaseRun(ctx, run[i:], "not tried: the server was stopping or Temporal was unreachable")
			return
		}
		err := s.redeliver(ctx, m)
		s.pace.done(m.MessageID, err == nil)
		if err == nil {
			s.redrive.delivered.Inc()
			s.log.Info("redrive: delivered", "message_id", m.MessageID, "attempt", m.Attempts)
			continue
		}
		if ctx.Err() != nil {
			s.releaseRun(ctx, run[i:], "not tried: the server was stopping")
			return
		}
		reason := err.Error()
		switch kind := deliveryErrorKind(err); {
		case kind == errUnreachable:
			// Temporal itself is down: no message is at fault, so the attempt is not counted.
			s.setUnreachable(time.Now().Add(time.Second))
			s.retryLater(ctx, m, reason, true)
			s.releaseRun(ctx, run[i+1:], "not tried: Temporal was unreachable")
			return
		case kind == errBusy && m.BusyRetries < s.cfg.RedriveMaxBusyRetries:
			// Temporal is slow, not this message at fault: retry soon, as the oldest waiting.
			s.retryBusy(ctx, m, reason)
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
}

// releaseRun hands untried messages back (release) and frees their slots.
func (s *Server) releaseRun(ctx context.Context, ms []store.Undelivered, reason string) {
	s.release(ctx, ms, reason)
	for _, m := range ms {
		s.pace.done(m.MessageID, false)
	}
}

// unreachableUntil is when the loop may claim again after Temporal was found unreachable.
func (s *Server) unreachableUntil() time.Time {
	s.unreachableMu.Lock()
	defer s.unreachableMu.Unlock()
	return s.unreachable
}

func (s *Server) setUnreachable(until time.Time) {
	s.unreachableMu.Lock()
	defer s.unreachableMu.Unlock()
	s.unreachable = until
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

// retryBusy schedules the message's next attempt within busyRetry and gives the attempt back.
func (s *Server) retryBusy(ctx context.Context, m store.Undelivered, reason string) {
	d := min(busyRetry, s.cfg.RedriveBackoff)
	at := time.Now().Add(d/2 + rand.N(d/2+1))
	if err := s.store.RetryDeliveryBusy(context.WithoutCancel(ctx), m.MessageID, reason, at); err != nil {
		s.log.Warn("redrive: schedule retry", "message_id", m.MessageID, "error", err)
		return
	}
	s.redrive.busy.Inc()
	s.log.Info("redrive: Temporal busy; will retry soon", "message_id", m.MessageID, "busy_retries", m.BusyRetries+1, "next_attempt_at", at, "error", reason)
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
