package bench

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxInFlight bounds the open-loop generator's outstanding POSTs. When it is
// reached the next POST waits, and that wait counts in its accept latency,
// which is measured from the time the POST was due, not the time it was sent.
const maxInFlight = 1000

// backlogEvery is how often the open-loop generator samples the backlog.
const backlogEvery = time.Second

// loadStep is one step of the open-loop load curve.
type loadStep struct {
	pct        int
	rate       float64         // target arrivals per second
	due        int             // POSTs scheduled in the window
	window     time.Duration   // length of the arrival window
	sentSpan   time.Duration   // first POST due → last POST sent
	accept     []time.Duration // POST due → 202 received
	assigned   []time.Duration // POST due → tickets.assigned_at
	backlog    []int           // accepted and not yet assigned, sampled every backlogEvery from the window's start
	backlogEnd int             // backlog at the end of the window
	drain      time.Duration   // end of the window → last ticket assigned (0 if all were assigned within it)
	failures   int             // POSTs that did not get a 202
}

// openLoop posts first messages to ch at a constant arrival rate for window —
// one every 1/rate seconds whatever the responses do (an open loop, not a
// burst or a closed loop) — then waits until every accepted conversation is
// assigned and returns the step's measurements.
func (b *bench) openLoop(ch, prefix string, pct int, rate float64, window time.Duration) loadStep {
	b.t.Helper()
	st := loadStep{pct: pct, rate: rate, window: window, due: max(1, int(rate*window.Seconds()))}
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now().Add(20 * time.Millisecond)

	var (
		mu       sync.Mutex
		dueAt    = make(map[string]time.Time, st.due)
		accepted atomic.Int64
		wg       sync.WaitGroup
		sem      = make(chan struct{}, maxInFlight)
	)
	stop := make(chan struct{})
	sampled := make(chan []int)
	go func() { sampled <- b.sampleBacklog(ch, start, &accepted, stop) }()

	var lastSent time.Time
	for i := range st.due {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		sem <- struct{}{}
		lastSent = time.Now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conv, err := b.postMessage(ch, fmt.Sprintf("%s-%d", prefix, i))
			took := time.Since(at)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				st.failures++
				return
			}
			accepted.Add(1)
			dueAt[conv] = at
			st.accept = append(st.accept, took)
		}()
	}
	st.sentSpan = lastSent.Sub(start)
	windowEnd := start.Add(window)
	time.Sleep(time.Until(windowEnd))
	close(stop)
	st.backlog = <-sampled
	if len(st.backlog) > 0 {
		st.backlogEnd = st.backlog[len(st.backlog)-1]
	}
	wg.Wait()

	n := int(accepted.Load())
	b.waitTicketsFor(ch, "assigned", n, settleTimeout+time.Duration(n)*50*time.Millisecond)
	var last time.Time
	for _, tk := range b.tickets(ch) {
		at, ok := dueAt[tk.ConversationID]
		if !ok || tk.AssignedAt == nil {
			b.t.Fatalf("ticket %s: no POST time or no assigned_at", tk.ID)
		}
		st.assigned = append(st.assigned, tk.AssignedAt.Sub(at))
		if tk.AssignedAt.After(last) {
			last = *tk.AssignedAt
		}
	}
	if d := last.Sub(windowEnd); d > 0 {
		st.drain = d
	}
	return st
}

// sampleBacklog counts, every backlogEvery from start until stop closes, the
// accepted conversations of ch whose ticket is not assigned yet.
func (b *bench) sampleBacklog(ch string, start time.Time, accepted *atomic.Int64, stop <-chan struct{}) []int {
	var out []int
	tick := time.NewTicker(backlogEvery)
	defer tick.Stop()
	time.Sleep(time.Until(start))
	for {
		select {
		case <-stop:
			return out
		case <-tick.C:
		}
		acc := accepted.Load() // read first: a ticket is assigned only after its POST was accepted
		var assigned int64
		if err := b.s.Store.DB().Get(&assigned, `SELECT count(*) FROM tickets WHERE channel_id = $1 AND routing_state = 'assigned'`, ch); err != nil {
			b.t.Errorf("backlog sample: %v", err)
			return out
		}
		out = append(out, int(max(0, acc-assigned)))
	}
}

// slope is the least-squares slope of ys sampled every step, in units per second.
func slope(ys []int, step time.Duration) float64 {
	n := float64(len(ys))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i, y := range ys {
		x := float64(i) * step.Seconds()
		sx += x
		sy += float64(y)
		sxx += x * x
		sxy += x * float64(y)
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}
