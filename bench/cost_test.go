package bench

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/routedesk/routedesk/workflows"
)

// cpuTime is the CPU time (user + system) this process has used so far: the
// embedded Temporal server, routedesk's worker and API, and the benchmark's
// own client all run in it. PostgreSQL's CPU is not included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// residentBytes is this process's resident set size (VmRSS of
// /proc/self/status), 0 where that file does not exist.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// eventsToAssigned is the number of history events of the workflow up to and
// including the one in which it set RoutingState to assigned, read through the
// Temporal client; it waits for that event.
func (b *bench) eventsToAssigned(workflowID string) int {
	b.t.Helper()
	key := workflows.RoutingStateKey.GetName()
	dc := converter.GetDefaultDataConverter()
	deadline := time.Now().Add(settleTimeout)
	for {
		n := 0
		it := b.s.Temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				b.t.Fatalf("history of %s: %v", workflowID, err)
			}
			n++
			p, ok := ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()[key]
			if !ok {
				continue
			}
			var state string
			if err := dc.FromPayload(p, &state); err == nil && state == "assigned" {
				return n
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("workflow %s never recorded RoutingState=assigned", workflowID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// bareEvents is the number of history events of a bare workflow, from its
// start to its completion (it completes right after its 4th activity).
func (b *bench) bareEvents(workflowID string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
	defer cancel()
	if err := b.s.Temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, nil); err != nil {
		b.t.Fatalf("bare workflow %s: %v", workflowID, err)
	}
	n := 0
	it := b.s.Temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			b.t.Fatalf("history of %s: %v", workflowID, err)
		}
		n++
	}
	return n
}

// postgresCPU is the CPU time (user + system) used so far by each PostgreSQL
// backend serving this benchmark's database, by pid (from /proc/<pid>/stat;
// empty where PostgreSQL runs on another host or /proc is missing).
func (b *bench) postgresCPU() map[int]time.Duration {
	var pids []int
	if err := b.s.Store.DB().Select(&pids, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`); err != nil {
		return nil
	}
	tick := time.Second / 100 // USER_HZ on Linux
	out := map[int]time.Duration{}
	for _, pid := range pids {
		raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		s := string(raw)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // after "pid (comm)": state is field 3
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64) // field 14
		stime, _ := strconv.ParseInt(fields[12], 10, 64) // field 15
		out[pid] = time.Duration(utime+stime) * tick
	}
	return out
}

// postgresCPUSince is the CPU the backends used since before (a postgresCPU
// reading): a backend opened since counts whole, one closed since is missed
// (the pool keeps its connections, so that is rare).
func (b *bench) postgresCPUSince(before map[int]time.Duration) time.Duration {
	var total time.Duration
	for pid, cpu := range b.postgresCPU() {
		if d := cpu - before[pid]; d > 0 {
			total += d
		}
	}
	return total
}
