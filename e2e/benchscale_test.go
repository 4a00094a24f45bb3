package e2e

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// The scale benchmark (`make bench-scale`, ROUTEDESK_BENCH_SCALE=1; issue 29)
// runs the production layout on one machine — `routedesk temporal`, one
// `server`, one `worker` — with many conversations open, and reports what
// docs/capacity.md sizes from. It is not part of `make test`.
func benchScaleOnly(t *testing.T) {
	t.Helper()
	if testing.Short() || os.Getenv("ROUTEDESK_BENCH_SCALE") != "1" {
		t.Skip("scale benchmark: run with `make bench-scale` (ROUTEDESK_BENCH_SCALE=1)")
	}
}

// TestBenchScale: open conversations (60 % waiting for an agent, 40 %
// Messenger holding reply windows), footprint and CPU per message at two
// levels, a timer storm, and restarts with everything open.
func TestBenchScale(t *testing.T) {
	benchScaleOnly(t)
	open := envInt(t, "ROUTEDESK_BENCH_SCALE_OPEN", 100000)
	first := min(envInt(t, "ROUTEDESK_BENCH_SCALE_FIRST", 1000), open)
	stormN := envInt(t, "ROUTEDESK_BENCH_SCALE_STORM", 10000)
	probeN := envInt(t, "ROUTEDESK_BENCH_SCALE_PROBE", 200)
	probeRate := float64(envInt(t, "ROUTEDESK_BENCH_SCALE_PROBE_RATE", 10))
	liveRate := float64(envInt(t, "ROUTEDESK_BENCH_SCALE_LIVE_RATE", 5))
	runs := envInt(t, "ROUTEDESK_BENCH_SCALE_RUNS", 3)
	t.Logf("open %d (first level %d), storm %d, probe %d messages at %.0f/s, live %.0f/s, runs %d; load average %s",
		open, first, stormN, probeN, probeRate, liveRate, runs, loadAverage())
	began := time.Now()

	graph := testenv.NewGraphFake(t)
	t.Setenv("ROUTEDESK_GRAPH_API_URL", graph.URL)
	f := newFleet(t)
	s := f.addServer()
	w := f.addWorker()
	awaitPollers(t, f.temporalClient(), w)
	db, err := pgxpool.New(context.Background(), f.databaseURL)
	require.NoError(t, err)
	t.Cleanup(db.Close)
	b := &scaleBench{t: t, f: f, db: db}
	b.server.Store(s)
	b.awayAgent = b.user("away")
	b.waiting = b.routedTo(b.awayAgent, waitMax)
	r := mustCall(t, http.MethodPost, s.base, "/v1/channels", f.token, map[string]any{"type": "messenger", "name": "Bench Messenger",
		"config": map[string]any{"page_id": benchPage, "page_access_token": "tok", "app_secret": benchSecret, "verify_token": "v"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	b.messenger = r.Map(t)["id"].(string)

	// Warm-up, not counted: the first conversations of each kind.
	b.probe(20, probeRate)
	require.NoError(t, b.postMessenger([]string{"warm-1", "warm-2"}))
	time.Sleep(3 * time.Second)
	base := measureFootprint(t, f, db)
	t.Logf("baseline: %d open, PostgreSQL %d MB, Temporal store %d MB, RSS worker/server/temporal %d/%d/%d MB",
		base.open, base.pgBytes>>20, base.temporalBytes>>20, base.workerRSS>>20, base.srvRSS>>20, base.temporalRSS>>20)

	levels := []int{first}
	if open > first {
		levels = append(levels, open)
	}
	perLevel := map[int][]probeResult{}
	for _, level := range levels {
		b.fill(level)
		time.Sleep(10 * time.Second) // timers armed, caches settled
		fp := measureFootprint(t, f, db)
		opened := fp.open - base.open
		t.Logf("at %d open: PostgreSQL %.0f B/conversation (tables %.0f), Temporal store %.0f B/conversation; RSS worker %d MB, server %d MB, temporal %d MB",
			fp.open, perOpen(fp.pgBytes, base.pgBytes, opened), perOpen(fp.pgTables, base.pgTables, opened),
			perOpen(fp.temporalBytes, base.temporalBytes, opened), fp.workerRSS>>20, fp.srvRSS>>20, fp.temporalRSS>>20)
		for range runs {
			perLevel[level] = append(perLevel[level], b.probe(probeN, probeRate))
		}
	}
	storm := b.storm(stormN, liveRate)
	end := measureFootprint(t, f, db) // before the restarts, whose new processes start with empty caches
	opened := end.open - base.open
	var workerRestarts, stackRestarts []restartResult
	for range runs {
		workerRestarts = append(workerRestarts, b.restart(false))
	}
	for range runs {
		stackRestarts = append(stackRestarts, b.restart(true))
	}

	t.Logf("=== scale benchmark (%s, load average now %s) ===", time.Since(began).Round(time.Second), loadAverage())
	for _, level := range levels {
		ps := perLevel[level]
		t.Logf("CPU per message at %s open (min / median / max over %d probes): %s ms (%s ms less idle); idle %s ms/s; assigned p99 %s ms",
			spreadOf("%.0f", pick(ps, func(p probeResult) float64 { return float64(p.open) })), len(ps),
			spreadOf("%.1f", pick(ps, func(p probeResult) float64 { return p.grossMs })),
			spreadOf("%.1f", pick(ps, func(p probeResult) float64 { return p.netMs })),
			spreadOf("%.0f", pick(ps, func(p probeResult) float64 { return p.idleMsPerS })),
			spreadOf("%.0f", pick(ps, func(p probeResult) float64 { return p.assignP99Ms })))
		t.Logf("… per message: PostgreSQL row writes %s; Temporal write calls %s, kB written %s",
			spreadOf("%.1f", pick(ps, func(p probeResult) float64 { return p.rowsPerMsg })),
			spreadOf("%.1f", pick(ps, func(p probeResult) float64 { return p.tWritesPerMsg })),
			spreadOf("%.1f", pick(ps, func(p probeResult) float64 { return p.tBytesPerMsg / 1024 })))
		for _, kind := range []string{"server", "worker", "temporal"} {
			t.Logf("… share of the CPU in %s: %s", kind, spreadOf("%.2f", pick(ps, func(p probeResult) float64 { return p.share[kind] })))
		}
	}
	if len(levels) == 2 {
		lo, hi := perLevel[levels[0]], perLevel[levels[1]]
		var ratios, grossRatios []float64
		for i := range min(len(lo), len(hi)) {
			ratios = append(ratios, hi[i].netMs/lo[i].netMs)
			grossRatios = append(grossRatios, hi[i].grossMs/lo[i].grossMs)
		}
		t.Logf("CPU per message, %d open ÷ %d open, probe by probe: %s less idle, %s gross (issue 29 goal: within 0.8–1.2)",
			levels[1], levels[0], spreadOf("%.2f", ratios), spreadOf("%.2f", grossRatios))
	}
	if end.messages > 0 {
		t.Logf("messages table: %.0f B a message (%d messages, with indexes and TOAST)", float64(end.messageBytes)/float64(end.messages), end.messages)
	}
	t.Logf("after the storm, %d open: PostgreSQL %.0f B/conversation, Temporal store %.0f B/conversation; RSS worker %d MB (%.1f kB/conversation over the baseline), server %d MB, temporal %d MB",
		end.open, perOpen(end.pgBytes, base.pgBytes, opened), perOpen(end.temporalBytes, base.temporalBytes, opened),
		end.workerRSS>>20, perOpen(end.workerRSS, base.workerRSS, opened)/1024, end.srvRSS>>20, end.temporalRSS>>20)
	t.Logf("timer storm: %d waits due over %s, drained %s after the first due (%s after the last); live accept p99 %.0f ms, assigned p50/p99 %.0f/%.0f ms (%d messages)",
		storm.timers, storm.expirySpread.Round(time.Second), storm.drain.Round(100*time.Millisecond), storm.drainFromLast.Round(100*time.Millisecond),
		storm.acceptP99Ms, storm.assignP50Ms, storm.assignP99Ms, storm.live)
	t.Logf("live posts not accepted during the storm: %d", storm.refused)
	for _, rs := range []struct {
		what string
		rs   []restartResult
	}{{"worker", workerRestarts}, {"whole stack", stackRestarts}} {
		t.Logf("SIGKILL of the %s → new message routed (min / median / max over %d): %s s; processes back: %s s", rs.what, len(rs.rs),
			spreadOf("%.1f", pick(rs.rs, func(r restartResult) float64 { return r.routed.Seconds() })),
			spreadOf("%.1f", pick(rs.rs, func(r restartResult) float64 { return r.ready.Seconds() })))
	}
}

// pick is f of each of xs.
func pick[T any](xs []T, f func(T) float64) []float64 {
	var out []float64
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}
