package chat

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits are the visitor API's rate limits.
type Limits struct {
	// IPRate and IPBurst bound every visitor request from one IP address.
	IPRate  rate.Limit
	IPBurst int
	// SessionRate and SessionBurst bound new sessions from one IP address.
	SessionRate  rate.Limit
	SessionBurst int
	// MessageRate and MessageBurst bound one visitor's messages.
	MessageRate  rate.Limit
	MessageBurst int
	// StreamsPerVisitor and StreamsPerServer cap open event streams of one visitor and of one process (0: the defaults).
	StreamsPerVisitor int
	StreamsPerServer  int
}

// DefaultLimits: 5 requests/s (bursts of 60) per IP, 20 sessions a minute (bursts of 20) per IP,
// 1 message/s (bursts of 10) per visitor.
var DefaultLimits = Limits{IPRate: 5, IPBurst: 60, SessionRate: rate.Every(3 * time.Second), SessionBurst: 20,
	MessageRate: 1, MessageBurst: 10}

// limiter keeps one token bucket per key, forgetting keys idle for ten minutes.
type limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	byKey   map[string]*bucket
	swept   time.Time
	maxIdle time.Duration
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(r rate.Limit, burst int) *limiter {
	return &limiter{rate: r, burst: burst, byKey: map[string]*bucket{}, maxIdle: 10 * time.Minute}
}

// allow takes one token for key; when there is none it returns false and the whole seconds to wait.
func (l *limiter) allow(key string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.byKey {
			if now.Sub(b.seen) > l.maxIdle {
				delete(l.byKey, k)
			}
		}
		l.swept = now
	}
	b := l.byKey[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.byKey[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, 60
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, int(math.Ceil(d.Seconds()))
	}
	return true, 0
}
