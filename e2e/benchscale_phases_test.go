package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/stretchr/testify/require"
)

// probeResult is one CPU probe: P new conversations, each assigned at once,
// paced below the fill rate so the stack is at steady state.
type probeResult struct {
	open          int     // open conversations when the probe began
	grossMs       float64 // stack CPU over the probe ÷ messages
	netMs         float64 // the same less the idle CPU of the stack over as long
	idleMsPerS    float64 // stack CPU per second with no traffic (timers, polling)
	acceptP99Ms   float64
	assignP50Ms   float64
	assignP99Ms   float64
	window        time.Duration
	messagesPerS  float64
	acceptedCount int
	rowsPerMsg    float64            // PostgreSQL rows inserted, updated or deleted per message (routedesk's database)
	tWritesPerMsg float64            // write calls of `routedesk temporal` (its SQLite store) per message
	tBytesPerMsg  float64            // bytes it wrote to disk per message
	share         map[string]float64 // of the probe's CPU, per kind of process
}

// probe measures the stack's CPU per inbound message with open conversations open.
func (b *scaleBench) probe(n int, rate float64) probeResult {
	t := b.t
	channel := b.liveChannel()
	open := b.count(`SELECT count(*) FROM tickets WHERE status <> 'closed'`)
	const idle = 5 * time.Second
	c0, _ := stackCPU(t, b.f)
	time.Sleep(idle)
	c1, by1 := stackCPU(t, b.f)
	idleRate := float64(c1-c0) / float64(idle) // CPU seconds per second

	rows0 := rowWrites(t, b.db)
	wb0, wc0, err := procWrites(b.f.temporal.pid())
	require.NoError(t, err)
	start := time.Now()
	due, accept, refused := b.paced(channel, fmt.Sprintf("probe%d", start.UnixNano()), n, rate, nil)
	require.Zero(t, refused, "probe posts not accepted")
	lat := b.assigned(channel, due, 5*time.Minute)
	time.Sleep(500 * time.Millisecond) // the workflow task after the assignment
	window := time.Since(start)
	c2, by2 := stackCPU(t, b.f)
	share := map[string]float64{}
	for kind, d := range by2 {
		share[kind] = float64(d-by1[kind]) / float64(c2-c1)
	}
	wb1, wc1, err := procWrites(b.f.temporal.pid())
	require.NoError(t, err)
	time.Sleep(time.Second) // backends report their statistics within a second of going idle
	rows1 := rowWrites(t, b.db)
	gross := float64(c2-c1) / float64(time.Millisecond) / float64(len(due))
	net := (float64(c2-c1) - idleRate*float64(window)) / float64(time.Millisecond) / float64(len(due))
	r := probeResult{open: open, grossMs: gross, netMs: net, idleMsPerS: idleRate * 1000,
		acceptP99Ms: quantileMs(accept, 0.99), assignP50Ms: quantileMs(lat, 0.5), assignP99Ms: quantileMs(lat, 0.99),
		window: window, messagesPerS: float64(len(due)) / window.Seconds(), acceptedCount: len(due),
		rowsPerMsg: float64(rows1-rows0) / float64(len(due)), tWritesPerMsg: float64(wc1-wc0) / float64(len(due)),
		tBytesPerMsg: float64(wb1-wb0) / float64(len(due)), share: share}
	t.Logf("probe at %d open: %d messages at %.0f/s in %s: CPU %.1f ms/message (%.1f less idle; idle %.0f ms/s), accept p99 %.0f ms, assigned p50/p99 %.0f/%.0f ms; "+
		"per message %.1f PostgreSQL row writes, %.1f Temporal write calls (%.1f kB); CPU share server %.2f, worker %.2f, temporal %.2f",
		open, len(due), rate, window.Round(time.Millisecond), gross, net, r.idleMsPerS, r.acceptP99Ms, r.assignP50Ms, r.assignP99Ms,
		r.rowsPerMsg, r.tWritesPerMsg, r.tBytesPerMsg/1024, share["server"], share["worker"], share["temporal"])
	return r
}

// stormResult is one timer storm.
type stormResult struct {
	timers        int
	expirySpread  time.Duration // first to last due expiry
	drain         time.Duration // first due expiry → every storm ticket unassigned
	drainFromLast time.Duration // last due expiry → the same
	acceptP99Ms   float64       // live traffic during the storm
	assignP50Ms   float64
	assignP99Ms   float64
	live          int
	refused       int // live posts not accepted
}

// storm opens m conversations whose waits for an agent all end within about a
// minute (channels with timeout_seconds set so that each batch's timer is due
// at one moment) and measures how long the expirations take to be processed,
// with live traffic (liveRate new conversations per second, assigned at once) meanwhile.
func (b *scaleBench) storm(m int, liveRate float64) stormResult {
	t := b.t
	rate := b.fillRate
	if rate <= 0 {
		rate = 30
	}
	// Chat only: the waiting share posts at about the fill rate.
	expiry := time.Now().Add(time.Duration(float64(m)/rate*1.5*float64(time.Second)) + 30*time.Second)
	batch := max(50, m/20)
	var channels []string
	var first, last time.Time
	for sent := 0; sent < m; sent += batch {
		timeout := max(10, int(time.Until(expiry).Seconds())) // posted slower than estimated: the spread below shows it
		ch := b.routedTo(b.awayAgent, timeout)
		channels = append(channels, ch)
		postedAt := time.Now()
		n := min(batch, m-sent)
		var wg sync.WaitGroup
		jobs := make(chan int)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					id := fmt.Sprintf("storm-%d", i)
					if r, err := b.postChat(ch, id); err != nil || r.Status != http.StatusAccepted {
						t.Errorf("storm %s: %v %d %s", id, err, r.Status, r.Body)
					}
				}
			}()
		}
		for i := range n {
			jobs <- sent + i
		}
		close(jobs)
		wg.Wait()
		due0, due1 := postedAt.Add(time.Duration(timeout)*time.Second), time.Now().Add(time.Duration(timeout)*time.Second)
		if first.IsZero() || due0.Before(first) {
			first = due0
		}
		if due1.After(last) {
			last = due1
		}
	}
	inStorm := func(state string) int {
		return b.count(`SELECT count(*) FROM tickets WHERE channel_id = ANY($1) AND routing_state = $2`, channels, state)
	}
	t.Logf("storm: %d conversations posted; waits due from %s to %s", m, first.Format("15:04:05"), last.Format("15:04:05"))
	eventually(t, time.Until(first)+time.Minute, "every storm ticket waiting before its timer", func() bool { return inStorm("waiting_for_agent") >= m })
	time.Sleep(time.Until(first.Add(-5 * time.Second)))

	live := b.liveChannel()
	stop := make(chan struct{})
	var due map[string]time.Time
	var accept []time.Duration
	var refused int
	done := make(chan struct{})
	go func() {
		defer close(done)
		due, accept, refused = b.paced(live, fmt.Sprintf("live%d", time.Now().UnixNano()), 0, liveRate, stop)
	}()
	eventually(t, time.Until(last)+10*time.Minute, "every storm ticket's wait over", func() bool { return inStorm("unassigned") >= m })
	drained := time.Now()
	close(stop)
	<-done
	lat := b.assigned(live, due, 2*time.Minute)
	r := stormResult{timers: m, expirySpread: last.Sub(first), drain: drained.Sub(first), drainFromLast: drained.Sub(last),
		acceptP99Ms: quantileMs(accept, 0.99), assignP50Ms: quantileMs(lat, 0.5), assignP99Ms: quantileMs(lat, 0.99), live: len(due), refused: refused}
	t.Logf("storm: %d timers due over %s drained %s after the first (%s after the last); live traffic %d at %.0f/s: accept p99 %.0f ms, assigned p50/p99 %.0f/%.0f ms",
		m, r.expirySpread.Round(time.Second), r.drain.Round(100*time.Millisecond), r.drainFromLast.Round(100*time.Millisecond),
		r.live, liveRate, r.acceptP99Ms, r.assignP50Ms, r.assignP99Ms)
	return r
}

// restartResult is one restart: SIGKILL → the first message posted after it assigned.
type restartResult struct {
	routed time.Duration // SIGKILL → first post-kill message assigned
	ready  time.Duration // SIGKILL → the restarted processes up (server ready, Temporal listening)
}

// restart SIGKILLs the worker (whole = false) or the whole stack, starts what
// was killed again at once, and measures until a new message is routed: messages
// are posted every 200 ms from the kill on, to a channel with an available agent.
func (b *scaleBench) restart(whole bool) restartResult {
	t := b.t
	channel := b.liveChannel()
	killed := time.Now()
	if whole {
		b.f.workers[len(b.f.workers)-1].kill()
		b.server.Load().kill()
		b.f.temporal.kill()
		killed = time.Now()
	} else {
		b.f.workers[len(b.f.workers)-1].kill()
		killed = time.Now()
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.paced(channel, fmt.Sprintf("restart-%d", killed.UnixNano()), 0, 5, stop)
	}()
	if whole {
		b.f.startTemporal()
		b.server.Store(b.f.addServer())
	}
	b.f.addWorker()
	ready := time.Since(killed)
	var firstAt time.Time
	eventually(t, 3*time.Minute, "a message posted after the kill routed", func() bool {
		var at *time.Time
		require.NoError(t, b.db.QueryRow(context.Background(), `SELECT min(assigned_at) FROM tickets WHERE channel_id = $1`, channel).Scan(&at))
		if at != nil {
			firstAt = *at
		}
		return at != nil
	})
	close(stop)
	<-done
	r := restartResult{routed: firstAt.Sub(killed), ready: ready}
	what := "worker"
	if whole {
		what = "whole stack"
	}
	t.Logf("restart of the %s: processes back %s after SIGKILL, first new message routed %s after it", what, ready.Round(100*time.Millisecond), r.routed.Round(100*time.Millisecond))
	return r
}
