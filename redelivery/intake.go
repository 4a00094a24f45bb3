package redelivery

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/domain"
)

const (
	// intakeCheck is how often the intake gate counts the messages waiting for their workflow.
	intakeCheck = 200 * time.Millisecond
	// intakeResume is the share of the limit the backlog must fall under before a refusing gate takes messages again.
	intakeResume = 0.8
	// maxIntakeRetryAfter bounds the Retry-After the gate asks senders to wait.
	maxIntakeRetryAfter = 30 * time.Second
)

// Intake is the optional back-pressure in front of storing an inbound
// message: while more than Limit accepted messages wait for their workflow
// (stored, not yet delivered: the backlog the delivery window holds back),
// new inbound messages are refused with domain.Overloaded — HTTP 503 and SMTP
// 451 4.3.2 with a Retry-After — so senders that retry (mail servers, Meta's
// webhooks, apps) hold the excess instead of this installation, and ticket
// creation keeps the machine's full rate. It takes messages again once fewer
// than 80 % of Limit wait. A zero Limit never refuses: every message is stored
// and ticketed as Temporal takes it.
type Intake struct {
	limit   int
	count   func(ctx context.Context) (int, error)
	log     *slog.Logger
	refused prometheus.Counter
	state   prometheus.Gauge

	pending  atomic.Int64
	refusing atomic.Bool
	// since counts the messages admitted since the last count while some
	// waited, so that a crowd of senders retrying together cannot overshoot
	// the limit between counts.
	since atomic.Int64
	// counted is set by the first count: until then nothing is refused.
	counted atomic.Bool
	// retryAfter is the current Retry-After in nanoseconds.
	retryAfter atomic.Int64

	mu       sync.Mutex
	lastAt   time.Time
	lastSeen int
	rate     float64 // messages a second the backlog shrinks by while refusing (smoothed)
	warned   bool    // the refusing episode was logged
}

// NewIntake returns the gate of limit (0: off) over count, the messages waiting for their workflow.
func NewIntake(limit int, count func(ctx context.Context) (int, error), log *slog.Logger, reg prometheus.Registerer) *Intake {
	in := &Intake{limit: max(limit, 0), count: count, log: log,
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_intake_refused_total",
			Help: "Inbound messages refused (HTTP 503 / SMTP 451 with Retry-After, nothing stored) because more than ROUTEDESK_INTAKE_LIMIT messages waited for their workflow.",
		}),
		state: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "routedesk_intake_refusing",
			Help: "1 while the intake limit refuses new inbound messages, else 0.",
		}),
	}
	if reg != nil {
		reg.MustRegister(in.refused, in.state)
	}
	return in
}

// Admit returns nil when an inbound message may be stored, else a *domain.Overloaded naming when to retry.
func (in *Intake) Admit() error {
	if in == nil || in.limit == 0 || !in.counted.Load() {
		return nil // off, or no count yet
	}
	if !in.refusing.Load() {
		pending := in.pending.Load()
		if pending == 0 || pending+in.since.Add(1) <= int64(in.limit) {
			return nil // with nothing waiting a message goes to its workflow at once
		}
		in.refusing.Store(true) // the next count closes it properly, or opens it again
		in.state.Set(1)
	}
	in.refused.Inc()
	wait := time.Duration(in.retryAfter.Load())
	return &domain.Overloaded{RetryAfter: wait, Message: fmt.Sprintf(
		"%d accepted messages are waiting for their conversation (the intake limit is %d): nothing was stored; retry after %d s",
		in.pending.Load(), in.limit, int(math.Ceil(wait.Seconds())))}
}

// Run counts the backlog every 200 ms and opens or closes the gate until ctx ends; with a zero limit it returns at once.
func (in *Intake) Run(ctx context.Context) {
	if in == nil || in.limit == 0 {
		return
	}
	t := time.NewTicker(intakeCheck)
	defer t.Stop()
	for {
		if n, err := in.count(ctx); err == nil {
			in.observe(n, time.Now())
		} else if ctx.Err() == nil {
			in.log.Warn("intake: count the messages waiting for their workflow", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// observe takes a count of the backlog at now: it opens or closes the gate
// (with hysteresis) and estimates how long the backlog takes to fall to
// where the gate opens again.
func (in *Intake) observe(n int, now time.Time) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.lastAt.IsZero() {
		if dt := now.Sub(in.lastAt).Seconds(); dt > 0 && n < in.lastSeen {
			drop := float64(in.lastSeen-n) / dt
			in.rate = 0.7*in.rate + 0.3*drop
		}
	}
	in.lastAt, in.lastSeen = now, n
	in.pending.Store(int64(n))
	in.since.Store(0)
	in.counted.Store(true)
	resume := int(float64(in.limit) * intakeResume)
	switch {
	case n >= in.limit && !in.warned:
		in.warned = true
		in.refusing.Store(true)
		in.state.Set(1)
		in.log.Warn("intake: refusing new inbound messages (503 / SMTP 451 with Retry-After) until the backlog falls",
			"waiting", n, "limit", in.limit, "resume_below", resume)
	case in.refusing.Load() && n < resume:
		in.refusing.Store(false)
		in.state.Set(0)
		if in.warned {
			in.warned = false
			in.log.Info("intake: taking inbound messages again", "waiting", n, "limit", in.limit)
		}
	}
	wait := 5 * time.Second
	if in.rate > 0.5 {
		wait = time.Duration(float64(max(n-resume, 1)) / in.rate * float64(time.Second))
	}
	in.retryAfter.Store(int64(min(max(wait, time.Second), maxIntakeRetryAfter)))
}
