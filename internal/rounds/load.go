package rounds

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxOutstanding bounds the POSTs of an open-loop round in flight at once.
const maxOutstanding = 1000

// MaxRate is what a burst measured: the routed rate is the ticket rate
// while the burst's backlog drained (between 10 % and 90 % of its tickets).
type MaxRate struct {
	N       int
	Rate    float64       // tickets per second
	Accept  time.Duration // time to get all N answered
	Drained time.Duration // first POST → last ticket
}

// MeasureMaxRate posts n first messages at concurrency c as fast as they are
// answered, waits for every ticket, and returns the routed rate.
func (tg Target) MeasureMaxRate(channel, prefix string, n, c int, limit time.Duration) (MaxRate, error) {
	rec := tg.record(channel)
	start := time.Now()
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if ok, _, _ := tg.post(channel, fmt.Sprintf("%s-%d", prefix, i)); ok {
					rec.accepted.Add(1)
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	accepted := time.Since(start)
	end, err := rec.waitDrained(limit)
	samples := rec.finish()
	if err != nil {
		return MaxRate{}, err
	}
	from, to := when(samples, n/10), when(samples, n*9/10)
	return MaxRate{N: n, Rate: rate(samples, from, to), Accept: accepted, Drained: end.Sub(start)}, nil
}

// when is the time of the first sample with at least n tickets.
func when(samples []sample, n int) time.Time {
	for _, s := range samples {
		if s.tickets >= n {
			return s.at
		}
	}
	return samples[len(samples)-1].at
}

// Steady is what a constant arrival rate measured.
type Steady struct {
	Rate           float64 // arrivals per second asked for
	Posted         int
	Accepted       int
	Refused        int // answers 503/429 with Retry-After (the intake limit) before messages were accepted
	AcceptP50      time.Duration
	AcceptP99      time.Duration
	TicketRate     float64 // tickets per second over the window, after its first 2 s
	MinTicketRate  float64 // the least over the window's 5-second stretches in which messages waited
	BacklogMax     int
	BacklogEnd     int
	BacklogSlope   float64       // least-squares slope of the backlog over the window, per second
	DrainAfter     time.Duration // end of the window → last ticket
	LongestStall   time.Duration // no ticket made while messages waited
	WindowDuration time.Duration
}

// AtRate posts first messages at a constant arrival rate for d (POST i is due
// at start + i/rate, sent then whatever earlier POSTs are doing), then waits
// until every accepted message has its ticket (up to limit).
func (tg Target) AtRate(channel, prefix string, perSecond float64, d, limit time.Duration) (Steady, error) {
	rec := tg.record(channel)
	start := time.Now()
	n := int(perSecond * d.Seconds())
	var mu sync.Mutex
	var latencies []time.Duration
	var refusals atomic.Int64
	sem := make(chan struct{}, maxOutstanding)
	var wg sync.WaitGroup
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(float64(i) / perSecond * float64(time.Second)))))
		sem <- struct{}{}
		due := start.Add(time.Duration(float64(i) / perSecond * float64(time.Second)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ok, refused, _ := tg.post(channel, fmt.Sprintf("%s-%d", prefix, i))
			refusals.Add(int64(refused))
			if ok {
				rec.accepted.Add(1)
				mu.Lock()
				latencies = append(latencies, time.Since(due))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	end := time.Now()
	drained, err := rec.waitDrained(limit)
	samples := rec.finish()
	res := Steady{Rate: perSecond, Posted: n, Accepted: len(latencies), AcceptP50: percentile(latencies, 50),
		AcceptP99: percentile(latencies, 99), WindowDuration: end.Sub(start), Refused: int(refusals.Load())}
	if err != nil {
		return res, err
	}
	// Rates over the arrival window (posts refused with a Retry-After may be accepted after it).
	arrivals := end
	if res.Refused > 0 && end.After(start.Add(d)) {
		arrivals = start.Add(d)
	}
	res.TicketRate = rate(samples, start.Add(2*time.Second), arrivals)
	res.MinTicketRate = minRate(samples, start.Add(2*time.Second), arrivals, 5*time.Second)
	res.BacklogMax, res.BacklogEnd, res.BacklogSlope = backlog(samples, start, arrivals)
	res.DrainAfter = max(drained.Sub(end), 0)
	res.LongestStall = longestStall(samples, start, drained)
	return res, nil
}

// minRate is the least ticket rate over consecutive stretches of span between
// from and to, counting only stretches that began with messages waiting.
func minRate(samples []sample, from, to time.Time, span time.Duration) float64 {
	least := -1.0
	for t := from; !t.Add(span).After(to); t = t.Add(span) {
		if s := at(samples, t); s.accepted-s.tickets <= 0 {
			continue
		}
		if r := rate(samples, t, t.Add(span)); least < 0 || r < least {
			least = r
		}
	}
	return max(least, 0)
}

// backlog returns the largest and the last backlog (accepted − tickets)
// between from and to, and its least-squares slope per second.
func backlog(samples []sample, from, to time.Time) (most, last int, slope float64) {
	var xs, ys []float64
	for _, s := range samples {
		if s.at.Before(from) || s.at.After(to) {
			continue
		}
		b := max(s.accepted-s.tickets, 0)
		most, last = max(most, b), b
		xs, ys = append(xs, s.at.Sub(from).Seconds()), append(ys, float64(b))
	}
	if len(xs) < 2 {
		return most, last, 0
	}
	var mx, my float64
	for i := range xs {
		mx, my = mx+xs[i], my+ys[i]
	}
	mx, my = mx/float64(len(xs)), my/float64(len(xs))
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	if den == 0 {
		return most, last, 0
	}
	return most, last, num / den
}
