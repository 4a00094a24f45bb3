// Package redelivery hands stored inbound messages to their conversation
// workflows at the pace Temporal takes them: the delivery window that
// requests and the background redrive loop share, the loop that redelivers
// what requests deferred or could not deliver (claimed per server, retried
// with backoff, given up on visibly), and the start of channel-less tickets'
// routing that never began. The server provides the delivery itself.
package redelivery

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// Redelivery defaults (Config.MaxAttempts, MaxBusyRetries, Backoff, MaxBackoff, AttemptTimeout).
const (
	DefaultMaxAttempts = 10
	DefaultBackoff     = time.Second
	DefaultMaxBackoff  = 5 * time.Minute
	// DefaultMaxBusyRetries bounds the retries of one message that found
	// Temporal busy (timed out or rate limited); those are not counted as
	// attempts, so a slow engine never exhausts a message's attempts nor sends
	// it into the long backoff. Beyond this (minutes of busy answers for one
	// message) busy answers count as ordinary attempts.
	DefaultMaxBusyRetries = 120
	// DefaultAttemptTimeout is the bound of one delivery attempt the lease of a claim allows for.
	DefaultAttemptTimeout = 5 * time.Second
)

const (
	// batch is how many messages (or stranded tickets) one claim takes.
	batch = 20
	// busyRetry is the longest wait before retrying a message that found Temporal busy (jittered down to half).
	busyRetry = time.Second
)

// Deliverer signals-with-start a stored message's conversation workflow and
// marks the message delivered, within Config.AttemptTimeout.
type Deliverer func(ctx context.Context, m store.Undelivered) error

// RoutingStarter starts the workflow of a ticket without a channel, which routes it.
type RoutingStarter func(ctx context.Context, accountID string, t domain.Ticket) error

// Config is what a Loop delivers through and how it paces and retries; zero values take the defaults.
type Config struct {
	// Deliver hands one message to its workflow (the server's signal-with-start).
	Deliver Deliverer
	// StartRouting starts a stranded channel-less ticket's routing.
	StartRouting RoutingStarter
	// ConversationIDs encodes a conversation's workflow id, to repair one stored before ids were encoded.
	ConversationIDs workflows.ConversationIDs
	// MaxAttempts is how many times a message is tried before its delivery is marked failed.
	MaxAttempts int
	// MaxBusyRetries bounds the uncounted, prompt retries of a message whose attempts found Temporal busy.
	MaxBusyRetries int
	// Backoff and MaxBackoff bound the wait between attempts, doubling from the first to the second.
	Backoff, MaxBackoff time.Duration
	// AttemptTimeout is how long one Deliver may take; a claim's lease outlasts it.
	AttemptTimeout time.Duration
	// Window is how many messages may be signalled and not yet through the opening (no ticket) at a time.
	Window int
	// WindowExpiry frees a slot whose conversation has no ticket after this long.
	WindowExpiry time.Duration
	// IntakeLimit is how many messages may wait for their workflow before new ones are refused (see Intake; 0: never).
	IntakeLimit int
}

// Loop delivers stored messages to their workflows: requests through Deliver, as the window
// allows, and the background loop (Run) for what they deferred or could not deliver.
type Loop struct {
	store   *store.Store
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	pace    *window
	intake  *Intake
	// lease is how long a claim keeps other servers off a message; short, so a
	// crashed server's claims pass quickly to the others: a claim takes only
	// messages with a free slot of the window, each attempt starts at once and
	// takes at most AttemptTimeout.
	lease time.Duration
	// unreachable is until when the loop leaves Temporal alone after finding it down.
	unreachableMu sync.Mutex
	unreachable   time.Time
	// passes counts the redrive passes Run has made.
	passes atomic.Int64
}

// Passes is how many redrive passes Run has made: a test waits for the first
// to be over before it checks that a delivery came from a wake-up.
func (l *Loop) Passes() int64 { return l.passes.Load() }

// New returns the Loop of st delivering through cfg.Deliver; reg (optional) receives its metrics.
func New(st *store.Store, cfg Config, log *slog.Logger, reg prometheus.Registerer) *Loop {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MaxBusyRetries <= 0 {
		cfg.MaxBusyRetries = DefaultMaxBusyRetries
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.Backoff)
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	return &Loop{store: st, cfg: cfg, log: log, metrics: newMetrics(reg), lease: cfg.AttemptTimeout + 2*time.Second,
		pace:   newWindow(cfg.Window, cfg.WindowExpiry, st.OpenedConversations),
		intake: NewIntake(cfg.IntakeLimit, st.PendingDeliveries, log, reg)}
}

// Admit returns nil when a request may store an inbound message, else the
// *domain.Overloaded of the intake limit (Config.IntakeLimit) with when to retry.
func (l *Loop) Admit() error { return l.intake.Admit() }

// Deliver delivers a message a request just stored, when the delivery
// window has room and no older message waits; otherwise it leaves the
// message to the redrive loop (see window) and returns nil: the message is
// safe in PostgreSQL either way. A delivery that fails is handed to the
// redrive loop at once.
func (l *Loop) Deliver(ctx context.Context, m store.Undelivered) error {
	if !l.pace.admit(m.MessageID, m.ConversationID) {
		l.metrics.deferred.Inc()
		if err := l.store.DeferDelivery(context.WithoutCancel(ctx), m.MessageID); err != nil {
			return fmt.Errorf("hand the delivery to the redrive loop (it retries after its grace period): %w", err)
		}
		l.pace.deferred()
		return nil
	}
	err := l.cfg.Deliver(ctx, m)
	l.pace.done(m.MessageID, err == nil)
	if err != nil {
		// The redrive loop takes the message at once instead of after its grace period.
		if derr := l.store.DeferDelivery(context.WithoutCancel(ctx), m.MessageID); derr == nil {
			l.pace.deferred()
		}
	}
	return err
}

// Run delivers stored messages that never reached their workflow (Temporal
// was down, the process died between storing and signalling, or a request
// left its message to the loop because the delivery window was full) until
// ctx ends: at once when a slot of the window frees up or a request defers
// a message, and every interval in any case. Messages younger than grace
// are left to the request that is delivering them. Each message is claimed
// for this process (other servers skip it), tried on its own — concurrently
// up to the free slots of the window, a conversation's messages in order —
// retried with exponential backoff and jitter, and marked failed after
// Config.MaxAttempts attempts or a non-retryable error; one bad message
// never holds up the others. An attempt that finds Temporal busy (timed
// out, rate limited) is retried within a second and not counted. Every
// interval it also starts the routing of stranded channel-less tickets.
func (l *Loop) Run(ctx context.Context, interval, grace time.Duration) {
	go l.pace.run(ctx)
	go l.intake.Run(ctx)
	var attempts sync.WaitGroup
	defer attempts.Wait()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		l.redriveOnce(ctx, grace, &attempts)
		l.passes.Add(1)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.routeStranded(ctx, grace)
			if n, err := l.store.PendingDeliveries(ctx); err == nil {
				l.metrics.pending.Set(float64(n))
			}
		case <-l.pace.freed:
		case <-l.pace.wake:
		}
	}
}

// redriveOnce claims one batch of due messages, as many as the window has
// free slots (at most batch), and starts delivering them; the next
// batch waits for the next wake-up (a slot freed, a message deferred, the
// interval), so several servers take turns on a backlog.
func (l *Loop) redriveOnce(ctx context.Context, grace time.Duration, attempts *sync.WaitGroup) {
	if ctx.Err() != nil || time.Now().Before(l.unreachableUntil()) {
		return
	}
	want := min(l.pace.free(), batch)
	if want == 0 {
		return // a slot freeing up wakes the loop
	}
	claimed, err := l.store.ClaimUndelivered(ctx, grace, l.lease, want)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("redrive: claim undelivered messages", "error", err)
		}
		return
	}
	l.pace.setQueued(len(claimed) == want)
	for _, run := range byConversation(claimed) {
		for _, m := range run {
			l.pace.take(m.MessageID, m.ConversationID)
		}
		attempts.Add(1)
		go func() {
			defer attempts.Done()
			l.redriveRun(ctx, run)
		}()
	}
}

// byConversation splits a claimed batch (oldest first) into runs of one
// workflow's messages, each run in its original order.
func byConversation(claimed []store.Undelivered) [][]store.Undelivered {
	var runs [][]store.Undelivered
	at := map[string]int{}
	for _, m := range claimed {
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
func (l *Loop) redriveRun(ctx context.Context, run []store.Undelivered) {
	for i, m := range run {
		if ctx.Err() != nil || time.Now().Before(l.unreachableUntil()) {
			l.releaseRun(ctx, run[i:], "not tried: the server was stopping or Temporal was unreachable")
			return
		}
		err := l.redeliver(ctx, m)
		l.pace.done(m.MessageID, err == nil)
		if err == nil {
			l.metrics.delivered.Inc()
			l.log.Info("redrive: delivered", "message_id", m.MessageID, "attempt", m.Attempts)
			continue
		}
		if ctx.Err() != nil {
			l.releaseRun(ctx, run[i:], "not tried: the server was stopping")
			return
		}
		reason := err.Error()
		switch kind := deliveryErrorKind(err); {
		case kind == errUnreachable:
			// Temporal itself is down: no message is at fault, so the attempt is not counted.
			l.setUnreachable(time.Now().Add(time.Second))
			l.retryLater(ctx, m, reason, true)
			l.releaseRun(ctx, run[i+1:], "not tried: Temporal was unreachable")
			return
		case kind == errBusy && m.BusyRetries < l.cfg.MaxBusyRetries:
			// Temporal is slow, not this message at fault: retry soon, as the oldest waiting.
			l.retryBusy(ctx, m, reason)
		case kind == errPermanent || m.Attempts >= l.cfg.MaxAttempts:
			if kind != errPermanent {
				reason = fmt.Sprintf("gave up after %d attempts: %s", m.Attempts, reason)
			}
			if err := l.store.FailDelivery(context.WithoutCancel(ctx), m.MessageID, reason); err != nil {
				l.log.Warn("redrive: mark delivery failed", "message_id", m.MessageID, "error", err)
				continue
			}
			l.metrics.failed.Inc()
			l.log.Error("redrive: delivery failed for good", "message_id", m.MessageID, "attempts", m.Attempts, "reason", reason)
		default:
			l.retryLater(ctx, m, reason, false)
		}
	}
}

// releaseRun hands untried messages back (release) and frees their slots.
func (l *Loop) releaseRun(ctx context.Context, ms []store.Undelivered, reason string) {
	l.release(ctx, ms, reason)
	for _, m := range ms {
		l.pace.done(m.MessageID, false)
	}
}

// unreachableUntil is when the loop may claim again after Temporal was found unreachable.
func (l *Loop) unreachableUntil() time.Time {
	l.unreachableMu.Lock()
	defer l.unreachableMu.Unlock()
	return l.unreachable
}

func (l *Loop) setUnreachable(until time.Time) {
	l.unreachableMu.Lock()
	defer l.unreachableMu.Unlock()
	l.unreachable = until
}
