package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/routedesk/routedesk/internal/testenv"
)

// settleTimeout bounds each wait for the system to reach a state; it guards
// against a hang, it is not a speed requirement.
const settleTimeout = 3 * time.Minute

// flipGap separates flips of availability, so each is measured on its own.
const flipGap = 100 * time.Millisecond

// cpuSettle is how long the CPU measurements wait after the last assignment
// (or last bare activity), so the work a workflow does right after it counts.
const cpuSettle = 500 * time.Millisecond

// redriveInterval and redriveGrace are routedesk dev's defaults for the
// redrive loop (ROUTEDESK_REDRIVE_INTERVAL, and the grace it is started with).
const (
	redriveInterval = 2 * time.Second
	redriveGrace    = 5 * time.Second
)

// loadPercents are the steps of the load curve, in % of the measured maximum routed rate.
var loadPercents = []int{25, 50, 75, 100}

// config holds one benchmark's parameters (ROUTEDESK_BENCH_* variables).
type config struct {
	quick                       bool
	n, c, agents, waiting, runs int
	loadStep                    time.Duration
	memoryN                     int
	throughputOnly              bool   // ROUTEDESK_BENCH_THROUGHPUT_ONLY=1: only the runs of (a), (b), (d)
	profileDir                  string // ROUTEDESK_BENCH_PROFILE: CPU profiles of each run's routed and bare phases
}

// loadConfig reads the parameters; ROUTEDESK_BENCH_QUICK=1 changes the defaults to the quick set.
func loadConfig(t *testing.T) config {
	def := config{n: 300, c: 16, agents: 100, waiting: 1000, runs: 3, loadStep: 60 * time.Second, memoryN: 10_000}
	if os.Getenv("ROUTEDESK_BENCH_QUICK") == "1" {
		def = config{quick: true, n: 100, c: 8, agents: 20, waiting: 100, runs: 3, loadStep: 6 * time.Second}
	}
	cfg := config{
		quick:    def.quick,
		n:        envInt(t, "ROUTEDESK_BENCH_N", def.n),
		c:        envInt(t, "ROUTEDESK_BENCH_C", def.c),
		agents:   envInt(t, "ROUTEDESK_BENCH_AGENTS", def.agents),
		waiting:  envInt(t, "ROUTEDESK_BENCH_WAITING", def.waiting),
		runs:     envInt(t, "ROUTEDESK_BENCH_RUNS", def.runs),
		loadStep: time.Duration(envInt(t, "ROUTEDESK_BENCH_LOAD_SECONDS", int(def.loadStep/time.Second))) * time.Second,
		memoryN:  envInt(t, "ROUTEDESK_BENCH_MEMORY_N", def.memoryN),

		throughputOnly: os.Getenv("ROUTEDESK_BENCH_THROUGHPUT_ONLY") == "1",
		profileDir:     os.Getenv("ROUTEDESK_BENCH_PROFILE"),
	}
	if cfg.n < 1 || cfg.c < 1 || cfg.runs < 1 || cfg.agents < 1 || cfg.agents > 100 || cfg.waiting < cfg.agents || cfg.memoryN < 0 {
		t.Fatalf("need N ≥ 1, C ≥ 1, RUNS ≥ 1, 1 ≤ AGENTS ≤ 100 (a channel routes to at most 100 users), WAITING ≥ AGENTS and MEMORY_N ≥ 0: %+v", cfg)
	}
	return cfg
}

// TestBenchmark measures routedesk end to end and prints Markdown tables;
// it runs only with ROUTEDESK_BENCH=1 (`make bench`, `make bench-quick`).
func TestBenchmark(t *testing.T) {
	if os.Getenv("ROUTEDESK_BENCH") != "1" {
		t.Skip("set ROUTEDESK_BENCH=1 to run the end-to-end benchmark (make bench)")
	}
	cfg := loadConfig(t)
	r := results{machine: machine(), loadBefore: loadAvg(), cfg: cfg}

	s := testenv.NewStack(t)
	// As routedesk dev does: a message stored but not delivered to its
	// workflow (signal-with-start timed out under load) is redriven.
	redrive, stopRedrive := context.WithCancel(context.Background())
	t.Cleanup(stopRedrive)
	go s.API.Redrive(redrive, redriveInterval, redriveGrace)
	_, token := s.Account("Bench", "enterprise")
	b := &bench{t: t, s: s, token: token, http: &http.Client{
		Transport: &http.Transport{MaxIdleConns: maxInFlight, MaxIdleConnsPerHost: maxInFlight},
		Timeout:   time.Minute,
	}}
	if err := s.Store.DB().Get(&r.postgres, `SELECT current_setting('server_version')`); err != nil {
		t.Fatal(err)
	}
	r.clockSkew = b.clockSkew()

	bare, rec, err := startBareWorker(s.Temporal)
	if err != nil {
		t.Fatalf("start bare worker: %v", err)
	}
	t.Cleanup(bare.Stop)

	warm := b.channel("Warm-up", b.agentsFor("warm", 2*cfg.c), 0)
	t.Logf("warm-up: %d conversations, %d bare workflows", 2*cfg.c, 2*cfg.c)
	b.conversations(warm, "warm", 2*cfg.c, cfg.c)
	b.waitTickets(warm, "assigned", 2*cfg.c)
	b.bareRun(rec, "warm", 2*cfg.c, cfg.c)
	r.rssStart = residentBytes()
	c0 := cpuTime()
	time.Sleep(time.Second)
	idleCPU = cpuTime() - c0
	r.idleCPU = idleCPU

	for i := range cfg.runs {
		t.Logf("run %d of %d: (a)(b) %d conversations and (d) %d bare workflows at concurrency %d", i+1, cfg.runs, cfg.n, cfg.n, cfg.c)
		r.runs = append(r.runs, b.throughputRun(rec, &r, i))
	}
	if cfg.throughputOnly {
		r.loadAfter = loadAvg()
		fmt.Printf("\n%s\n", r.keyRatios())
		return
	}

	// History events and CPU of one conversation at a time, on an otherwise idle system.
	single := b.channel("Single", b.agentsFor("single", 3), 0)
	for i := range 3 {
		conv, err := b.postMessage(single, fmt.Sprintf("single-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		b.waitTickets(single, "assigned", i+1)
		var wf string
		if err := s.Store.DB().Get(&wf, `SELECT workflow_id FROM conversations WHERE id = $1`, conv); err != nil {
			t.Fatal(err)
		}
		r.events = append(r.events, b.eventsToAssigned(wf))
	}
	r.bareEvents = b.bareEvents("bare:bare0:0")

	// The open-loop load curve, at fractions of the median maximum routed rate.
	maxRate := median(r.routedRates())
	for _, pct := range loadPercents {
		rate := maxRate * float64(pct) / 100
		t.Logf("load curve: %d %% of %.1f/s = %.1f/s for %s", pct, maxRate, rate, cfg.loadStep)
		ch := b.channel(fmt.Sprintf("Load %d", pct), b.agentsFor(fmt.Sprintf("load%d-", pct), int(rate*cfg.loadStep.Seconds())+1), 0)
		r.load = append(r.load, b.openLoop(ch, fmt.Sprintf("load%d", pct), pct, rate, cfg.loadStep))
	}

	b.availability(&r)

	if cfg.memoryN > 0 {
		t.Logf("memory: %d conversations at concurrency %d", cfg.memoryN, cfg.c)
		ch := b.channel("Memory", b.agentsFor("mem", cfg.memoryN), 0)
		b.conversations(ch, "mem", cfg.memoryN, cfg.c)
		b.waitTicketsFor(ch, "assigned", cfg.memoryN, settleTimeout+time.Duration(cfg.memoryN)*50*time.Millisecond)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		r.rssMemory, r.heapMemory = residentBytes(), ms.HeapInuse
	}

	r.loadAfter = loadAvg()
	fmt.Printf("\n%s\n", r.table())
	fmt.Printf("%s\n", r.keyRatios())
}

// throughputRun is one run of (a), (b) and (d) with their CPU: N conversations
// on a new channel, then N bare workflows, both at concurrency C.
func (b *bench) throughputRun(rec *bareRecorder, r *results, i int) runResult {
	b.t.Helper()
	n, c := r.cfg.n, r.cfg.c
	ch := b.channel(fmt.Sprintf("Measured %d", i), b.agentsFor(fmt.Sprintf("run%d-", i), n), 0)
	stop := b.profile(r.cfg.profileDir, fmt.Sprintf("routed-%d.pprof", i+1))
	pg0 := b.postgresCPU()
	cpu0 := cpuTime()
	sent, resp := b.conversations(ch, fmt.Sprintf("conv%d", i), n, c)
	b.waitTickets(ch, "assigned", n)
	time.Sleep(cpuSettle)
	cpuRouted := cpuTime() - cpu0 - cpuSettleIdle(cpuSettle)
	pgRouted := b.postgresCPUSince(pg0)
	stop()
	first := earliest(sent)
	var last time.Time
	var postAssigned []time.Duration
	tickets := b.tickets(ch)
	for _, tk := range tickets {
		at := sent[tk.ConversationID]
		if at.IsZero() || tk.AssignedAt == nil {
			b.t.Fatalf("ticket %s: no POST time or no assigned_at", tk.ID)
		}
		postAssigned = append(postAssigned, tk.AssignedAt.Sub(at))
		if tk.AssignedAt.After(last) {
			last = *tk.AssignedAt
		}
	}
	if i == 0 { // the latency rows of the table are those of the first run
		r.postResponse, r.postAssigned = resp, postAssigned
		for _, tk := range tickets {
			r.postWorkflow = append(r.postWorkflow, b.workflowAssignedAt(tk.WorkflowID).Sub(sent[tk.ConversationID]))
		}
	}

	stop = b.profile(r.cfg.profileDir, fmt.Sprintf("bare-%d.pprof", i+1))
	cpu0 = cpuTime()
	bareWindow, bareLatency := b.bareRun(rec, fmt.Sprintf("bare%d", i), n, c)
	time.Sleep(cpuSettle)
	cpuBare := cpuTime() - cpu0 - cpuSettleIdle(cpuSettle)
	stop()
	if i == 0 {
		r.bareLatency = bareLatency
	}
	res := runResult{
		routed: perSecond(n, last.Sub(first)), bare: perSecond(n, bareWindow),
		cpuRouted: cpuRouted / time.Duration(n), cpuBare: cpuBare / time.Duration(n),
		pgRouted: pgRouted / time.Duration(n),
	}
	b.t.Logf("run %d: routed %.1f/s, bare %.1f/s, ratio %.2f; CPU per routed conversation %.1f ms (+ PostgreSQL %.1f ms), per bare workflow %.1f ms; load average %s",
		i+1, res.routed, res.bare, res.ratio(), msf(res.cpuRouted), msf(res.pgRouted), msf(res.cpuBare), loadAvg())
	return res
}

// profile starts a CPU profile into dir/name (nothing when dir is empty)
// and returns the function that stops it.
func (b *bench) profile(dir, name string) func() {
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		b.t.Fatalf("CPU profile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.t.Fatalf("CPU profile (is -cpuprofile set too?): %v", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.t.Errorf("CPU profile: %v", err)
		}
	}
}

// idleCPU is the process's CPU per second when nothing is posted, measured
// once; the CPU figures subtract it for their settling pause.
var idleCPU time.Duration

// cpuSettleIdle is the idle CPU the process spends in d.
func cpuSettleIdle(d time.Duration) time.Duration {
	return time.Duration(float64(idleCPU) * d.Seconds())
}

// availability measures (c): agents away, cfg.waiting tickets waiting; agents
// flip available one at a time and each gets the oldest waiting ticket.
func (b *bench) availability(r *results) {
	b.t.Helper()
	cfg := r.cfg
	b.t.Logf("(c): %d waiting tickets, %d agents flipped available one at a time", cfg.waiting, cfg.agents)
	var away []string
	for i := range cfg.agents {
		away = append(away, b.user(fmt.Sprintf("away%d@bench.test", i), "away", 1))
	}
	waiting := b.channel("Waiting", away, 3600)
	b.conversations(waiting, "wait", cfg.waiting, cfg.c)
	b.waitTicketsFor(waiting, "waiting_for_agent", cfg.waiting, settleTimeout+time.Duration(cfg.waiting)*50*time.Millisecond)
	for _, u := range away {
		var oldest string
		if err := b.s.Store.DB().Get(&oldest,
			`SELECT id FROM tickets WHERE channel_id = $1 AND routing_state = 'waiting_for_agent' ORDER BY waiting_since, id LIMIT 1`, waiting); err != nil {
			b.t.Fatalf("oldest waiting ticket: %v", err)
		}
		sentAt := time.Now()
		status, body, err := b.do(http.MethodPut, "/v1/users/"+u+"/availability", map[string]any{"availability": "available"})
		if err != nil || status != http.StatusOK {
			b.t.Fatalf("PUT availability: %d %s %v", status, body, err)
		}
		r.availPut = append(r.availPut, time.Since(sentAt))
		tk := b.assignedTo(u)
		if tk.ID != oldest {
			r.oldestMisses++
			b.t.Errorf("agent %s got ticket %s, the oldest waiting was %s", u, tk.ID, oldest)
		}
		r.availAssigned = append(r.availAssigned, tk.AssignedAt.Sub(sentAt))
		// Let the workflow catch up before the next flip, so each flip is measured
		// on its own; polling its history meanwhile would load the server it measures.
		time.Sleep(flipGap)
		r.availWorkflow = append(r.availWorkflow, b.workflowAssignedAt(tk.WorkflowID).Sub(sentAt))
	}
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// median is the median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
