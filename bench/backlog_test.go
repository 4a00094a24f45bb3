package bench

import (
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to count tickets

	"github.com/routedesk/routedesk/internal/rounds"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestBacklogBenchmark measures issue 22's recovery and burst targets on a
// real `routedesk dev` (its SQLite file, its worker, its redrive loop), each
// as a ratio to the routed rate measured in the same run: a burst of
// ROUTEDESK_BENCH_BACKLOG_MAX_N first messages gives the routed rate; then
// 80 % of it for ROUTEDESK_BENCH_BACKLOG_STEADY, 2× for
// ROUTEDESK_BENCH_BACKLOG_BURST, and SIGKILL with ROUTEDESK_BENCH_BACKLOG
// messages accepted and not yet ticketed, then a restart. Repeated
// ROUTEDESK_BENCH_RUNS times on the same installation; the table gives min /
// median / max. ROUTEDESK_BENCH_BIN runs a binary built elsewhere (say, of an
// older commit) instead of building this tree. ROUTEDESK_BENCH=1 runs it.
func TestBacklogBenchmark(t *testing.T) {
	if os.Getenv("ROUTEDESK_BENCH") != "1" {
		t.Skip("set ROUTEDESK_BENCH=1 to run the end-to-end benchmark (make bench)")
	}
	quick := os.Getenv("ROUTEDESK_BENCH_QUICK") == "1"
	steadyDef, burstDef, runsDef := 60, 30, 3
	if quick {
		steadyDef, burstDef, runsDef = 20, 15, 2
	}
	maxN := envInt(t, "ROUTEDESK_BENCH_BACKLOG_MAX_N", 400)
	steadyFor := time.Duration(envInt(t, "ROUTEDESK_BENCH_BACKLOG_STEADY", steadyDef)) * time.Second
	burstFor := time.Duration(envInt(t, "ROUTEDESK_BENCH_BACKLOG_BURST", burstDef)) * time.Second
	backlog := envInt(t, "ROUTEDESK_BENCH_BACKLOG", 1000)
	runs := envInt(t, "ROUTEDESK_BENCH_RUNS", runsDef)

	loadBefore := loadAvg()
	d := newDevInstall(t)
	d.start()
	db, err := sql.Open("pgx", d.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	tg := rounds.Target{API: d.api, Token: devBenchToken, DB: db, Kill: d.kill, Start: d.start}
	channel := func(name string) string {
		ch, err := tg.Channel(name)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	if _, err := tg.MeasureMaxRate(channel("warm-up"), "warm", 100, 16, 3*time.Minute); err != nil {
		t.Fatal(err)
	}

	var rows backlogRows
	for run := 1; run <= runs; run++ {
		top, err := tg.MeasureMaxRate(channel(fmt.Sprint("max-", run)), fmt.Sprint("max", run), maxN, 32, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		steady, err := tg.AtRate(channel(fmt.Sprint("steady-", run)), fmt.Sprint("steady", run), 0.8*top.Rate, steadyFor, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		burst, err := tg.AtRate(channel(fmt.Sprint("burst-", run)), fmt.Sprint("burst", run), 2*top.Rate, burstFor, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := tg.AfterKill(channel(fmt.Sprint("kill-", run)), fmt.Sprint("kill", run), backlog, 32, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: max %.1f/s; 80%%: %+v; 2×: %+v; recovery: %+v", run, top.Rate, steady, burst, rec)
		rows.add(top, steady, burst, rec)
	}

	limited := intakeRounds(t, d, tg, channel, envInt(t, "ROUTEDESK_BENCH_INTAKE_LIMIT", 100), runs, maxN, burstFor)

	fmt.Printf("\n### routedesk dev: recovery and bursts (issue 22, defect 4)\n\n")
	fmt.Printf("%s; load average %s before, %s after; %d runs; binary %s\n\n", machine(), loadBefore, loadAvg(), runs, d.binLabel)
	fmt.Printf("| measure | min / median / max | target |\n|---|---|---|\n")
	for _, r := range rows.table(backlog, steadyFor, burstFor) {
		fmt.Printf("| %s | %s | %s |\n", r[0], r[1], r[2])
	}
	for _, r := range limited {
		fmt.Printf("| %s | %s | %s |\n", r[0], r[1], r[2])
	}
}

// backlogRows collects each run's figures.
type backlogRows struct {
	max, steadyRatio, steadySlope, steadyStall, steadyDrain, burstMinRatio, burstRatio, burstStall, burstDrain, burstBacklog []float64
	accepted, startUp, resumed, drainRatio, minRatio, drained, stall, acceptP99Burst                                         []float64
}

func (r *backlogRows) add(top rounds.MaxRate, steady, burst rounds.Steady, rec rounds.Recovery) {
	r.max = append(r.max, top.Rate)
	r.steadyRatio = append(r.steadyRatio, steady.TicketRate/top.Rate)
	r.steadySlope = append(r.steadySlope, steady.BacklogSlope)
	r.steadyStall = append(r.steadyStall, steady.LongestStall.Seconds())
	r.steadyDrain = append(r.steadyDrain, steady.DrainAfter.Seconds())
	r.burstRatio = append(r.burstRatio, burst.TicketRate/top.Rate)
	r.burstMinRatio = append(r.burstMinRatio, burst.MinTicketRate/top.Rate)
	r.burstStall = append(r.burstStall, burst.LongestStall.Seconds())
	r.burstDrain = append(r.burstDrain, burst.DrainAfter.Seconds())
	r.burstBacklog = append(r.burstBacklog, float64(burst.BacklogEnd))
	r.acceptP99Burst = append(r.acceptP99Burst, float64(burst.AcceptP99.Milliseconds()))
	r.accepted = append(r.accepted, float64(rec.Backlog))
	r.startUp = append(r.startUp, rec.StartUp.Seconds())
	r.resumed = append(r.resumed, rec.Resumed.Seconds())
	r.drainRatio = append(r.drainRatio, rec.DrainRate/top.Rate)
	r.minRatio = append(r.minRatio, rec.MinRate/top.Rate)
	r.drained = append(r.drained, rec.Drained.Seconds())
	r.stall = append(r.stall, rec.LongestStall.Seconds())
}

func (r *backlogRows) table(backlog int, steadyFor, burstFor time.Duration) [][3]string {
	return [][3]string{
		{"routed rate (400-message burst), tickets/s", mmm("%.1f", r.max), "the yardstick"},
		{fmt.Sprintf("80 %% for %s: tickets/s ÷ routed rate", steadyFor), mmm("%.2f", r.steadyRatio), "≈ 0.8 (keeps pace)"},
		{"… backlog slope, messages/s", mmm("%+.2f", r.steadySlope), "≈ 0 (flat)"},
		{"… longest stall / drain after the load, s", mmm("%.1f", r.steadyStall) + " / " + mmm("%.1f", r.steadyDrain), ""},
		{fmt.Sprintf("2× for %s: tickets/s ÷ routed rate, whole window", burstFor), mmm("%.2f", r.burstRatio), "≥ 0.9"},
		{"… least 5-s stretch ÷ routed rate", mmm("%.2f", r.burstMinRatio), "never a few per second"},
		{"… accept p99, ms", mmm("%.0f", r.acceptP99Burst), "stays fast"},
		{"… backlog at the end / drained after, s", mmm("%.0f", r.burstBacklog) + " / " + mmm("%.1f", r.burstDrain), "drains right after"},
		{"… longest stall, s", mmm("%.1f", r.burstStall), ""},
		{fmt.Sprintf("SIGKILL with ≥ %d accepted, not ticketed: backlog at the kill", backlog), mmm("%.0f", r.accepted), ""},
		{"… restart → ready, s", mmm("%.1f", r.startUp), ""},
		{"… ready → first ticket, s", mmm("%.2f", r.resumed), "≤ 3"},
		{"… drain rate ÷ routed rate", mmm("%.2f", r.drainRatio), "≥ 0.8"},
		{"… least 3-s stretch ÷ routed rate", mmm("%.2f", r.minRatio), ""},
		{"… ready → backlog gone, s / longest stall, s", mmm("%.1f", r.drained) + " / " + mmm("%.1f", r.stall), ""},
	}
}

// devInstall is one `routedesk dev` installation that can be killed and restarted on the same database and data dir.
type devInstall struct {
	t        *testing.T
	bin      string
	binLabel string
	dbURL    string
	api      string
	env      []string
	cmd      *exec.Cmd
	out      *strings.Builder
	exited   chan struct{}
}

func newDevInstall(t *testing.T) *devInstall {
	t.Helper()
	d := &devInstall{t: t, bin: os.Getenv("ROUTEDESK_BENCH_BIN"), dbURL: testenv.DatabaseURL(t)}
	d.binLabel = d.bin
	if d.bin == "" {
		d.bin = filepath.Join(t.TempDir(), "routedesk")
		_, file, _, _ := runtime.Caller(0)
		build := exec.Command("go", "build", "-o", d.bin, "./cmd/routedesk")
		build.Dir = filepath.Join(filepath.Dir(file), "..")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		d.binLabel = "built from this tree"
	}
	httpPort, temporalPort := freePort(t), freePort(t)
	d.api = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	d.env = append(os.Environ(),
		"DATABASE_URL="+d.dbURL,
		"ROUTEDESK_DATA_DIR="+t.TempDir(),
		fmt.Sprintf("ROUTEDESK_HTTP_ADDR=127.0.0.1:%d", httpPort),
		fmt.Sprintf("ROUTEDESK_DEV_TEMPORAL_PORT=%d", temporalPort),
		"ROUTEDESK_DEV_UI_PORT=-1",
		"ROUTEDESK_SMTP_ADDR=off",
		"ROUTEDESK_DEV_TOKEN="+devBenchToken,
		"ROUTEDESK_LOG_LEVEL=warn",
		"TEMPORAL_ADDRESS=",
	)
	t.Cleanup(d.kill)
	return d
}

// start runs `routedesk dev` and returns once /readyz answers 200.
func (d *devInstall) start() {
	t := d.t
	d.out = &strings.Builder{}
	d.cmd = exec.Command(d.bin, "dev")
	d.cmd.Env = d.env
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start routedesk dev: %v", err)
	}
	exited := make(chan struct{})
	d.exited = exited
	go func() { _ = d.cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if resp, err := http.Get(d.api + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("routedesk dev exited before it was ready:\n%s", d.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("routedesk dev not ready after 3 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill SIGKILLs the process and waits until it is gone.
func (d *devInstall) kill() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.exited
}
