package bench

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	if k < 0 {
		k = 0
	}
	return s[k]
}

// ms formats a duration in milliseconds with one decimal.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

// pq formats the p50 / p99 of ds.
func pq(ds []time.Duration) string {
	return ms(percentile(ds, 50)) + " / " + ms(percentile(ds, 99))
}

// cpuModel reads the CPU model name from /proc/cpuinfo ("unknown" elsewhere).
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// loadAvg is the first field of /proc/loadavg, "" when unavailable.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// machine describes where the benchmark ran.
func machine() string {
	return fmt.Sprintf("%s, %d CPUs (runtime.NumCPU), %s/%s, %s", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// results are one benchmark's measurements.
type results struct {
	machine, postgres, loadBefore, loadAfter string
	clockSkew                                time.Duration
	cfg                                      config

	runs          []runResult
	postResponse  []time.Duration // POST sent → 202 received (first run)
	postAssigned  []time.Duration // POST sent → tickets.assigned_at (first run)
	postWorkflow  []time.Duration // POST sent → the workflow recorded RoutingState=assigned (first run)
	bareLatency   []time.Duration // signal-with-start sent → last no-op activity ran (first run)
	events        []int           // history events, first message → RoutingState=assigned, one conversation at a time
	bareEvents    int             // history events of one bare workflow, start → completed
	idleCPU       time.Duration   // the process's CPU in one idle second
	load          []loadStep
	availPut      []time.Duration // PUT availability sent → response
	availAssigned []time.Duration // PUT sent → tickets.assigned_at of the dispatched ticket
	availWorkflow []time.Duration // PUT sent → the workflow recorded RoutingState=assigned
	oldestMisses  int

	rssStart, rssMemory int64  // resident set size after warm-up, after the memory phase
	heapMemory          uint64 // Go heap in use after the memory phase, after a GC
}

// runResult is one run of (a), (b) and (d).
type runResult struct {
	routed, bare       float64       // conversations routed / bare workflows per second
	cpuRouted, cpuBare time.Duration // process CPU per routed conversation / per bare workflow
	pgRouted           time.Duration // PostgreSQL backends' CPU per routed conversation
}

func (r runResult) ratio() float64    { return safeDiv(r.routed, r.bare) }
func (r runResult) cpuRatio() float64 { return safeDiv(float64(r.cpuRouted), float64(r.cpuBare)) }

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func (r results) routedRates() []float64 {
	return r.collect(func(x runResult) float64 { return x.routed })
}

// collect maps every run through f.
func (r results) collect(f func(runResult) float64) []float64 {
	out := make([]float64, len(r.runs))
	for i, x := range r.runs {
		out[i] = f(x)
	}
	return out
}

// mmm formats min / median / max of xs with format.
func mmm(format string, xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	lo, hi := slices.Min(xs), slices.Max(xs)
	return fmt.Sprintf(format+" / "+format+" / "+format, lo, median(xs), hi)
}

func ints(xs []int) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mb(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/(1<<20)) }

// table renders the results as Markdown.
func (r results) table() string {
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	cfg := r.cfg
	b.WriteString("| measure | value |\n|---|---|\n")
	row("machine", r.machine)
	row("PostgreSQL", r.postgres)
	row("load average before / after", r.loadBefore+" / "+r.loadAfter)
	row("Go ↔ PostgreSQL clock offset (bound)", "≤ "+r.clockSkew.Round(time.Microsecond).String())
	row("N conversations / concurrency C / runs", fmt.Sprintf("%d / %d / %d", cfg.n, cfg.c, len(r.runs)))
	row("**(a) conversations fully routed per second**, min / median / max", "**"+mmm("%.1f", r.routedRates())+"**")
	row("(d) bare workflow (signal-with-start + 4 no-op activities) per second", mmm("%.1f", r.collect(func(x runResult) float64 { return x.bare })))
	row("**ratio routed / bare** (target ≥ 2.0)", "**"+mmm("%.2f", r.collect(runResult.ratio))+"**")
	row("process CPU per routed conversation, ms", mmm("%.1f", r.collect(func(x runResult) float64 { return msf(x.cpuRouted) })))
	row("PostgreSQL backends' CPU per routed conversation, ms (not in the ratio)", mmm("%.1f", r.collect(func(x runResult) float64 { return msf(x.pgRouted) })))
	row("process CPU per bare workflow, ms", mmm("%.1f", r.collect(func(x runResult) float64 { return msf(x.cpuBare) })))
	row("**CPU ratio routed / bare** (target ≤ 0.5)", "**"+mmm("%.2f", r.collect(runResult.cpuRatio))+"**")
	row("idle CPU of the process", fmt.Sprintf("%.1f ms/s (subtracted for the %s settling pause)", msf(r.idleCPU), cpuSettle))
	row("**history events, first message → `assigned`** (target ≤ 12)", "**"+mmm("%.0f", ints(r.events))+"**"+fmt.Sprintf(" (bare workflow, start → completed: %d)", r.bareEvents))
	row("POST → 202 response, p50 / p99 (run 1, burst)", pq(r.postResponse))
	row("(b) POST → `assigned` (tickets.assigned_at), p50 / p99 (run 1, burst)", pq(r.postAssigned))
	row("POST → workflow shows `assigned`, p50 / p99 (run 1, burst)", pq(r.postWorkflow))
	row("bare: start → 4th activity ran, p50 / p99 (run 1, burst)", pq(r.bareLatency))
	row("waiting tickets / agents flipped available one at a time", fmt.Sprintf("%d / %d (oldest waiting ticket not the one assigned: %d)", cfg.waiting, len(r.availAssigned), r.oldestMisses))
	row("PUT availability → response, p50 / p99", pq(r.availPut))
	row("**(c) available → `assigned` (tickets.assigned_at), p50 / p99** (target p99 < 50 ms)", "**"+pq(r.availAssigned)+"**")
	row("available → workflow shows `assigned`, p50 / p99", pq(r.availWorkflow))
	row("resident memory after warm-up", mb(r.rssStart))
	if cfg.memoryN > 0 {
		row(fmt.Sprintf("**resident memory after %d more conversations** (target < 500 MB)", cfg.memoryN), fmt.Sprintf("**%s** (Go heap in use after GC: %s)", mb(r.rssMemory), mb(int64(r.heapMemory))))
	}
	b.WriteString("\nOpen-loop load curve (constant arrival rate; latencies from the time each POST was due):\n\n")
	b.WriteString("| % of max | rate /s | POSTs | accept p50 / p99 | POST → `assigned` p50 / p99 | backlog max / at end / slope | drain after window | failed |\n|---|---|---|---|---|---|---|---|\n")
	for _, st := range r.load {
		fmt.Fprintf(&b, "| %d | %.1f | %d in %s | %s | %s | %d / %d / %+.2f /s | %s | %d |\n",
			st.pct, st.rate, st.due, st.sentSpan.Round(100*time.Millisecond), pq(st.accept), pq(st.assigned),
			slices.Max(append([]int{0}, st.backlog...)), st.backlogEnd, slope(st.backlog, backlogEvery), st.drain.Round(time.Millisecond), st.failures)
	}
	return b.String()
}

// keyRatios is the short summary make bench-quick ends with: each target of
// issue 14 that the benchmark measures, with its figure.
func (r results) keyRatios() string {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "  %-52s %s\n", k, v) }
	b.WriteString("Key figures (min / median / max over runs where marked):\n")
	line("routed / bare throughput (≥ 2.0), mmm", mmm("%.2f", r.collect(runResult.ratio)))
	line("history events first message → assigned (≤ 12)", mmm("%.0f", ints(r.events)))
	line("CPU per routed conversation / bare (≤ 0.5), mmm", mmm("%.2f", r.collect(runResult.cpuRatio)))
	for _, st := range r.load {
		if st.pct == 50 {
			line("at 50 % load: accept p99 (< 50 ms)", ms(percentile(st.accept, 99)))
			line("at 50 % load: POST → assigned p99 (< 500 ms)", ms(percentile(st.assigned, 99)))
			line("at 50 % load: backlog slope (≈ 0)", fmt.Sprintf("%+.2f /s, at end %d", slope(st.backlog, backlogEvery), st.backlogEnd))
		}
	}
	line(fmt.Sprintf("available → assigned p99, %d waiting (< 50 ms)", r.cfg.waiting), ms(percentile(r.availAssigned, 99)))
	if r.cfg.memoryN > 0 {
		line(fmt.Sprintf("resident memory after %d conversations (< 500 MB)", r.cfg.memoryN), mb(r.rssMemory))
	}
	return b.String()
}
