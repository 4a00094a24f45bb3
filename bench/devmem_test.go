package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/worker"
)

// devSettle is how long TestDevMemory waits after the last assignment before
// it reads the dev process's memory, so in-flight tasks finish and the Go
// runtime's background GC and scavenger run.
const devSettle = 15 * time.Second

// TestDevMemory measures issue 14's targets 6 and 5 on the real `routedesk
// dev` process (its SQLite file, its worker's workflow cache): the resident
// memory after ROUTEDESK_BENCH_DEV_N conversations (default 10,000) posted at
// ROUTEDESK_BENCH_C, and available→assigned with ROUTEDESK_BENCH_WAITING
// tickets waiting (default 1,000; 0 skips it). ROUTEDESK_BENCH=1 runs it.
func TestDevMemory(t *testing.T) {
	if os.Getenv("ROUTEDESK_BENCH") != "1" {
		t.Skip("set ROUTEDESK_BENCH=1 to run the end-to-end benchmark (make bench)")
	}
	n := envInt(t, "ROUTEDESK_BENCH_DEV_N", 10_000)
	cfg := config{c: envInt(t, "ROUTEDESK_BENCH_C", 16), agents: envInt(t, "ROUTEDESK_BENCH_AGENTS", 100), waiting: envInt(t, "ROUTEDESK_BENCH_WAITING", 1000)}
	if n < 1 || cfg.c < 1 || cfg.agents < 1 || cfg.agents > 100 || (cfg.waiting > 0 && cfg.waiting < cfg.agents) {
		t.Fatalf("need DEV_N ≥ 1, C ≥ 1, 1 ≤ AGENTS ≤ 100 and WAITING 0 or ≥ AGENTS: n=%d %+v", n, cfg)
	}
	loadBefore := loadAvg()
	d := startDev(t)
	b := d.bench(t)
	rssIdle, _ := procMemory(t, d.pid())

	ch := b.channel("Memory", b.agentsFor("mem", n), 0)
	t.Logf("%d conversations at concurrency %d on routedesk dev (pid %d, workflow cache %s)", n, cfg.c, d.pid(), orDefault(os.Getenv("ROUTEDESK_WORKFLOW_CACHE_SIZE"), "default"))
	start := time.Now()
	b.conversations(ch, "mem", n, cfg.c)
	b.waitTicketsFor(ch, "assigned", n, settleTimeout+time.Duration(n)*50*time.Millisecond)
	took := time.Since(start)
	time.Sleep(devSettle)
	rss, hwm, rssFile := procMemoryFile(t, d.pid())
	cached := d.stickyCacheSize(t)
	dbFile := fileSize(filepath.Join(d.dataDir, "temporal.db")) + fileSize(filepath.Join(d.dataDir, "temporal.db-wal"))

	var r results
	r.cfg = cfg
	if cfg.waiting > 0 {
		b.availability(&r)
	}
	rssAfter, hwmAfter := procMemory(t, d.pid())

	fmt.Printf("\n### routedesk dev: memory (issue 14 target 6) and available→assigned (target 5)\n\n")
	fmt.Printf("%s, PostgreSQL %s; load average %s before, %s after; workflow cache %s\n\n", machine(), d.postgres(t), loadBefore, loadAvg(), orDefault(os.Getenv("ROUTEDESK_WORKFLOW_CACHE_SIZE"), "default (ROUTEDESK_WORKFLOW_CACHE_SIZE unset)"))
	fmt.Printf("| measure | value | target |\n|---|---|---|\n")
	fmt.Printf("| VmRSS of `routedesk dev`, idle after start-up | %s | |\n", mb(rssIdle))
	fmt.Printf("| %d conversations posted at concurrency %d, all assigned | %.1f s (%.1f/s) | |\n", n, cfg.c, took.Seconds(), float64(n)/took.Seconds())
	fmt.Printf("| VmRSS %s after the last assignment | %s | < 500 MB |\n", devSettle, mb(rss))
	fmt.Printf("| … of which file-backed (RssFile: the binary's pages) | %s | |\n", mb(rssFile))
	fmt.Printf("| VmHWM (peak RSS) so far | %s | |\n", mb(hwm))
	fmt.Printf("| workflows in the worker's cache (`temporal_sticky_cache_size`) | %d | ≤ ROUTEDESK_WORKFLOW_CACHE_SIZE |\n", cached)
	fmt.Printf("| embedded Temporal SQLite file (+ WAL) | %s | |\n", mb(dbFile))
	if cfg.waiting > 0 {
		fmt.Printf("| %d tickets waiting, %d agents flipped available one at a time: PUT → `assigned_at` p50 / p99 | %s | < 1 s p99 |\n", cfg.waiting, cfg.agents, pq(r.availAssigned))
		fmt.Printf("| … PUT → workflow's RoutingState=assigned event p50 / p99 | %s | |\n", pq(r.availWorkflow))
		fmt.Printf("| … PUT response p50 / p99 | %s | |\n", pq(r.availPut))
		fmt.Printf("| VmRSS / VmHWM after that | %s / %s | |\n", mb(rssAfter), mb(hwmAfter))
	}
	fmt.Println()
	if limit := envInt(t, "ROUTEDESK_WORKFLOW_CACHE_SIZE", worker.DefaultWorkflowCacheSize); cached > limit {
		t.Errorf("the worker caches %d workflows, more than its cache size %d", cached, limit)
	}
	if rss > 500<<20 {
		t.Errorf("VmRSS %s after %d conversations exceeds the 500 MB target", mb(rss), n)
	}
}

// devProc is one `routedesk dev` process with its own database, data dir and ports.
type devProc struct {
	cmd          *exec.Cmd
	api, dbURL   string
	temporalAddr string
	dataDir      string
	out          *strings.Builder
}

const devBenchToken = "rdk_bench-dev-token"

// startDev builds the binary and starts `routedesk dev`; it stops it when t ends.
func startDev(t *testing.T) *devProc {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "routedesk")
	_, file, _, _ := runtime.Caller(0)
	build := exec.Command("go", "build", "-o", bin, "./cmd/routedesk")
	build.Dir = filepath.Join(filepath.Dir(file), "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	d := &devProc{dbURL: testenv.DatabaseURL(t), dataDir: t.TempDir(), out: &strings.Builder{}}
	httpPort, temporalPort := freePort(t), freePort(t)
	d.api = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	d.temporalAddr = fmt.Sprintf("127.0.0.1:%d", temporalPort)
	d.cmd = exec.Command(bin, "dev")
	d.cmd.Env = append(os.Environ(),
		"DATABASE_URL="+d.dbURL,
		"ROUTEDESK_DATA_DIR="+d.dataDir,
		fmt.Sprintf("ROUTEDESK_HTTP_ADDR=127.0.0.1:%d", httpPort),
		fmt.Sprintf("ROUTEDESK_DEV_TEMPORAL_PORT=%d", temporalPort),
		"ROUTEDESK_DEV_UI_PORT=-1",
		"ROUTEDESK_SMTP_ADDR=off",
		"ROUTEDESK_DEV_TOKEN="+devBenchToken,
		"ROUTEDESK_BOOTSTRAP_TOKEN="+testenv.BootstrapToken,
		"ROUTEDESK_LOG_LEVEL=warn",
		"TEMPORAL_ADDRESS=",
	)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start routedesk dev: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		<-exited
		if t.Failed() {
			out := d.out.String()
			t.Logf("routedesk dev output (tail):\n%s", out[max(0, len(out)-4000):])
		}
	})
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if resp, err := http.Get(d.api + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		select {
		case <-exited:
			t.Fatalf("routedesk dev exited before it was ready")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("routedesk dev not ready after 3 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (d *devProc) pid() int { return d.cmd.Process.Pid }

// bench returns a driver for the dev process: an enterprise account made with
// the bootstrap token, the dev process's database and Temporal frontend. Only
// the fields the driver reads of the stack are set.
func (d *devProc) bench(t *testing.T) *bench {
	t.Helper()
	st, err := store.Open(context.Background(), d.dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	tc, err := client.Dial(client.Options{HostPort: d.temporalAddr, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	s := &testenv.Stack{T: t, Store: st, Temporal: tc, HTTP: &httptest.Server{URL: d.api}}
	r := testenv.Do(t, d.api, http.MethodPost, "/v1/accounts", testenv.BootstrapToken, map[string]string{"name": "Bench", "tier": "enterprise"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create account: %d %s", r.Status, r.Body)
	}
	var acc struct {
		Token string `json:"admin_token"`
	}
	if err := json.Unmarshal(r.Body, &acc); err != nil || acc.Token == "" {
		t.Fatalf("create account: %v %s", err, r.Body)
	}
	return &bench{t: t, s: s, token: acc.Token, http: &http.Client{
		Transport: &http.Transport{MaxIdleConns: maxInFlight, MaxIdleConnsPerHost: maxInFlight},
		Timeout:   time.Minute,
	}}
}

// stickyCacheSize is the SDK's temporal_sticky_cache_size gauge on the dev
// process's /metrics: the workflows its worker keeps cached.
func (d *devProc) stickyCacheSize(t *testing.T) int {
	t.Helper()
	r := testenv.Do(t, d.api, http.MethodGet, "/metrics", "", nil)
	for _, line := range strings.Split(string(r.Body), "\n") {
		if strings.HasPrefix(line, "temporal_sticky_cache_size{") && strings.Contains(line, `workflow_type="ConversationWorkflow"`) {
			f := strings.Fields(line)
			n, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatalf("temporal_sticky_cache_size: %v", err)
			}
			return int(n)
		}
	}
	t.Fatalf("no temporal_sticky_cache_size for ConversationWorkflow on /metrics (status %d)", r.Status)
	return 0
}

func (d *devProc) postgres(t *testing.T) string {
	var v string
	st, err := store.Open(context.Background(), d.dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.DB().Get(&v, `SELECT current_setting('server_version')`); err != nil {
		t.Fatal(err)
	}
	return v
}

// procMemory is VmRSS and VmHWM of pid plus those of its child processes, in bytes.
func procMemory(t *testing.T, pid int) (rss, hwm int64) {
	rss, hwm, _ = procMemoryFile(t, pid)
	return rss, hwm
}

// procMemoryFile is procMemory with RssFile, the resident pages mapped from
// files (mostly the binary's own code and data), which the kernel can drop.
func procMemoryFile(t *testing.T, pid int) (rss, hwm, file int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("memory of routedesk dev: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = kB(v)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm = kB(v)
		}
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			file = kB(v)
		}
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		kids, _ := os.ReadFile(f)
		for _, k := range strings.Fields(string(kids)) {
			if c, err := strconv.Atoi(k); err == nil {
				r, h, f := procMemoryFile(t, c)
				rss, hwm, file = rss+r, hwm+h, file+f
			}
		}
	}
	return rss, hwm, file
}

func kB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
	return n << 10
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
