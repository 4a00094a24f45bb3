package httpx

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxRateLimiters bounds the buckets a RateLimits keeps; past it, it forgets them all.
const maxRateLimiters = 100_000

// RateLimits holds one token bucket per key (a client address, a form and an address); the zero value is ready.
type RateLimits struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// Wait returns 0 when key may go on now (taking a token of a bucket of perMinute), else how long until it may.
func (l *RateLimits) Wait(key string, perMinute int, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil || len(l.m) >= maxRateLimiters {
		l.m = map[string]*rate.Limiter{}
	}
	lim, ok := l.m[key]
	if !ok || lim.Burst() != perMinute {
		lim = rate.NewLimiter(rate.Limit(float64(perMinute)/60), perMinute)
		l.m[key] = lim
	}
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}
