package e2e

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on Linux).
const clockTicks = 100

// procCPU is the user + system CPU a process has used, from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read stat of %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces: count fields after its closing parenthesis.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("stat of %d: %d fields", pid, len(fields))
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat of %d: utime %q stime %q", pid, fields[11], fields[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// procRSS is VmRSS of a process in bytes, from /proc/<pid>/status.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read status of %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS of %d: %w", pid, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

// stackCPU sums the CPU of the fleet's running processes (temporal, servers,
// workers); by is the same per kind of process ("temporal", "server", "worker").
func stackCPU(t *testing.T, f *fleet) (sum time.Duration, by map[string]time.Duration) {
	t.Helper()
	by = map[string]time.Duration{}
	for _, p := range f.running() {
		d, err := procCPU(p.pid())
		require.NoError(t, err)
		sum += d
		kind, _, _ := strings.Cut(p.name, "-")
		by[kind] += d
	}
	return sum, by
}

// running lists the fleet's processes that have not exited.
func (f *fleet) running() []*proc {
	all := []*proc{f.temporal}
	for _, s := range f.servers {
		all = append(all, s.proc)
	}
	all = append(all, f.workers...)
	var out []*proc
	for _, p := range all {
		if !p.exited() {
			out = append(out, p)
		}
	}
	return out
}

// procWrites is write_bytes and syscw of a process, from /proc/<pid>/io.
func procWrites(pid int) (bytes, calls int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read io of %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("io of %d: %s: %w", pid, k, err)
		}
		switch k {
		case "write_bytes":
			bytes = n
		case "syscw":
			calls = n
		}
	}
	return bytes, calls, nil
}

// rowWrites is the rows inserted, updated and deleted in routedesk's database so far.
func rowWrites(t *testing.T, db *pgxpool.Pool) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.QueryRow(context.Background(), `SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = current_database()`).Scan(&n))
	return n
}

// dirSize is the total size of the files under dir: `routedesk temporal`
// keeps its whole store (SQLite database, WAL) in its data dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dir, err)
	}
	return n, nil
}

// footprint is the stack's storage and memory at one moment.
type footprint struct {
	open              int   // open conversations (tickets of the benchmark's channels)
	pgBytes           int64 // pg_database_size of routedesk's database
	pgTables          int64 // sum of pg_total_relation_size over its tables
	temporalBytes     int64 // files of `routedesk temporal`'s data dir
	workerRSS, srvRSS int64
	temporalRSS       int64
	messageBytes      int64 // pg_total_relation_size of messages (table, indexes, TOAST)
	messages          int
}

// measureFootprint reads sizes after a CHECKPOINT so the WAL does not count.
func measureFootprint(t *testing.T, f *fleet, db *pgxpool.Pool) footprint {
	t.Helper()
	ctx := context.Background()
	var fp footprint
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM tickets WHERE status <> 'closed'`).Scan(&fp.open))
	require.NoError(t, db.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&fp.pgBytes))
	require.NoError(t, db.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`).Scan(&fp.pgTables))
	require.NoError(t, db.QueryRow(ctx, `SELECT pg_total_relation_size('messages'), (SELECT count(*) FROM messages)`).Scan(&fp.messageBytes, &fp.messages))
	var err error
	fp.temporalBytes, err = dirSize(filepath.Join(f.temporalDir, "data"))
	require.NoError(t, err)
	fp.temporalRSS, err = procRSS(f.temporal.pid())
	require.NoError(t, err)
	fp.srvRSS, err = procRSS(f.servers[len(f.servers)-1].pid())
	require.NoError(t, err)
	fp.workerRSS, err = procRSS(f.workers[len(f.workers)-1].pid())
	require.NoError(t, err)
	return fp
}

// perOpen is (b − base) / opened bytes, or 0 when nothing was opened.
func perOpen(b, base int64, opened int) float64 {
	if opened <= 0 {
		return 0
	}
	return float64(b-base) / float64(opened)
}

// spreadOf is "min / median / max" of xs formatted with format.
func spreadOf(format string, xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return fmt.Sprintf(format+" / "+format+" / "+format, s[0], medianOf(s), s[len(s)-1])
}

// medianOf is the median of sorted xs.
func medianOf(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// quantileMs is the p-quantile (0–1) of ds in milliseconds, nearest rank.
func quantileMs(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	i = max(0, min(i, len(s)-1))
	return float64(s[i]) / float64(time.Millisecond)
}

// envInt reads a positive integer setting of the benchmark.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s", name)
	require.Positive(t, n, "%s", name)
	return n
}

// loadAverage is the first line of /proc/loadavg, for the report.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
