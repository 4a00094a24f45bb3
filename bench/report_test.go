package bench

import (
	"fmt"
	"math"
	"os"
	"runtime"
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

// results are one run's measurements.
type results struct {
	machine, postgres, loadBefore, loadAfter string
	clockSkew                                time.Duration
	n, c, agents                             int

	routedWindow  time.Duration
	postResponse  []time.Duration // POST sent → 202 received
	postAssigned  []time.Duration // POST sent → tickets.assigned_at
	postWorkflow  []time.Duration // POST sent → the workflow recorded RoutingState=assigned
	availPut      []time.Duration // PUT availability sent → response
	availAssigned []time.Duration // PUT sent → tickets.assigned_at of the dispatched ticket
	availWorkflow []time.Duration // PUT sent → the workflow recorded RoutingState=assigned
	oldestMisses  int

	bareWindow  time.Duration
	bareLatency []time.Duration // signal-with-start sent → last no-op activity ran
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// table renders the results as Markdown.
func (r results) table() string {
	routed := perSecond(r.n, r.routedWindow)
	bare := perSecond(r.n, r.bareWindow)
	ratio := 0.0
	if bare > 0 {
		ratio = routed / bare
	}
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	b.WriteString("| measure | value |\n|---|---|\n")
	row("machine", r.machine)
	row("PostgreSQL", r.postgres)
	row("load average before / after", r.loadBefore+" / "+r.loadAfter)
	row("Go ↔ PostgreSQL clock offset (bound)", "≤ "+r.clockSkew.Round(time.Microsecond).String())
	row("N conversations / concurrency C", fmt.Sprintf("%d / %d", r.n, r.c))
	row("**(a) conversations fully routed per second**", fmt.Sprintf("**%.1f /s** (%d in %s)", routed, r.n, r.routedWindow.Round(time.Millisecond)))
	row("POST → 202 response, p50 / p99", pq(r.postResponse))
	row("**(b) POST → `assigned` (tickets.assigned_at), p50 / p99**", "**"+pq(r.postAssigned)+"**")
	row("POST → workflow shows `assigned`, p50 / p99", pq(r.postWorkflow))
	row("agents flipped available one at a time", fmt.Sprintf("%d (oldest waiting ticket not the one assigned: %d)", r.agents, r.oldestMisses))
	row("PUT availability → response, p50 / p99", pq(r.availPut))
	row("**(c) available → `assigned` (tickets.assigned_at), p50 / p99**", "**"+pq(r.availAssigned)+"**")
	row("available → workflow shows `assigned`, p50 / p99", pq(r.availWorkflow))
	row("**(d) bare workflow (signal-with-start + 4 no-op activities) per second**", fmt.Sprintf("**%.1f /s** (%d in %s)", bare, r.n, r.bareWindow.Round(time.Millisecond)))
	row("bare: start → 4th activity ran, p50 / p99", pq(r.bareLatency))
	row("**ratio routed / bare**", fmt.Sprintf("**%.2f**", ratio))
	return b.String()
}
