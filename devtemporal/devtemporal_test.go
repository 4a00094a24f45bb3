package devtemporal

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	_ "modernc.org/sqlite"
)

var channelType = temporal.NewSearchAttributeKeyKeyword("ChannelType")

func testAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{"ChannelType": enumspb.INDEXED_VALUE_TYPE_KEYWORD}
}

// testLogger shows server warnings on stderr, so log noise is visible in test output.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// integration skips t in the unit tier (-short): it starts a Temporal server.
func integration(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts a Temporal server (skipped by -short)")
	}
}

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	integration(t)
	if opts.Logger == nil {
		opts.Logger = testLogger()
	}
	began := time.Now()
	srv, err := Start(context.Background(), opts)
	require.NoError(t, err)
	t.Logf("server started in %s (frontend %s, ui %q)", time.Since(began).Round(time.Millisecond), srv.FrontendAddress(), srv.UIAddress())
	t.Cleanup(func() { assert.NoError(t, srv.Stop()) })
	return srv
}

func dial(t *testing.T, srv *Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  srv.FrontendAddress(),
		Namespace: srv.Namespace(),
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func runWorker(t *testing.T, c client.Client, queue string, workflows ...any) worker.Worker {
	t.Helper()
	w := worker.New(c, queue, worker.Options{})
	for _, wf := range workflows {
		w.RegisterWorkflow(wf)
	}
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return w
}

func greetWorkflow(_ workflow.Context, name string) (string, error) {
	return "hello " + name, nil
}

func awaitSignalWorkflow(ctx workflow.Context) (string, error) {
	if err := workflow.SetQueryHandler(ctx, "state", func() (string, error) { return "waiting", nil }); err != nil {
		return "", err
	}
	var value string
	workflow.GetSignalChannel(ctx, "finish").Receive(ctx, &value)
	return value, nil
}

func TestRunAndListWorkflowBySearchAttribute(t *testing.T) {
	t.Parallel()
	srv := start(t, Options{UIPort: -1, SearchAttributes: testAttributes()})
	assert.Equal(t, "default", srv.Namespace())
	assert.Empty(t, srv.UIAddress())
	c := dial(t, srv)
	runWorker(t, c, "greet", greetWorkflow)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    "greet-1",
		TaskQueue:             "greet",
		TypedSearchAttributes: temporal.NewSearchAttributes(channelType.ValueSet("chat")),
	}, greetWorkflow, "routedesk")
	require.NoError(t, err)
	var got string
	require.NoError(t, run.Get(ctx, &got))
	assert.Equal(t, "hello routedesk", got)

	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: srv.Namespace(),
			Query:     `ChannelType = "chat"`,
		})
		require.NoError(ct, err)
		require.Len(ct, resp.GetExecutions(), 1)
		assert.Equal(ct, "greet-1", resp.GetExecutions()[0].GetExecution().GetWorkflowId())
		assert.Equal(ct, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, resp.GetExecutions()[0].GetStatus())
	}, 15*time.Second, 100*time.Millisecond)
}

func TestWorkflowSurvivesRestartOnSameFile(t *testing.T) {
	integration(t)
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "nested", "temporal.db")
	opts := Options{DBPath: dbPath, UIPort: -1, Namespace: "routedesk", Logger: testLogger()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	first, err := Start(ctx, opts)
	require.NoError(t, err)
	info, err := os.Stat(filepath.Dir(dbPath))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())

	c1, err := client.Dial(client.Options{HostPort: first.FrontendAddress(), Namespace: "routedesk",
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	w1 := worker.New(c1, "signals", worker.Options{})
	w1.RegisterWorkflow(awaitSignalWorkflow)
	require.NoError(t, w1.Start())
	_, err = c1.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "await-1", TaskQueue: "signals"}, awaitSignalWorkflow)
	require.NoError(t, err)
	// A query answers only once a worker has run the workflow's first task.
	q, err := c1.QueryWorkflow(ctx, "await-1", "", "state")
	require.NoError(t, err)
	var state string
	require.NoError(t, q.Get(&state))
	require.Equal(t, "waiting", state)
	w1.Stop()
	c1.Close()
	require.NoError(t, first.Stop())
	require.NoError(t, first.Stop(), "Stop is idempotent")

	second := start(t, opts)
	c2 := dial(t, second)
	runWorker(t, c2, "signals", awaitSignalWorkflow)
	require.NoError(t, c2.SignalWorkflow(ctx, "await-1", "", "finish", "signalled after restart"))
	var got string
	require.NoError(t, c2.GetWorkflow(ctx, "await-1", "").Get(ctx, &got))
	assert.Equal(t, "signalled after restart", got)
	require.NoError(t, second.Stop())

	// The file is in WAL mode.
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, "wal", mode)
}

func TestDatabaseSettings(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "settings.db")
	cfg, err := sqlConfig(dbPath)
	require.NoError(t, err)
	assert.Equal(t, 1, cfg.MaxConns)
	assert.Equal(t, map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "NORMAL"}, cfg.ConnectAttributes)
	dsn := dataSourceName(cfg)
	assert.Contains(t, dsn, "_pragma=synchronous%3DNORMAL")
	assert.Contains(t, dsn, "_pragma=journal_mode%3Dwal")
	assert.Contains(t, dsn, "mode=rwc")

	// The DSN the server's connection uses applies the pragmas.
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	defer db.Close()
	var synchronous int
	require.NoError(t, db.QueryRow("PRAGMA synchronous").Scan(&synchronous))
	assert.Equal(t, 1, synchronous, "1 = NORMAL")
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, "wal", mode)

	mem1, err := sqlConfig("")
	require.NoError(t, err)
	mem2, err := sqlConfig("")
	require.NoError(t, err)
	assert.Equal(t, "memory", mem1.ConnectAttributes["mode"])
	assert.Equal(t, "shared", mem1.ConnectAttributes["cache"])
	assert.NotEqual(t, mem1.DatabaseName, mem2.DatabaseName)
}

func TestSearchAttributeAddedOnRestart(t *testing.T) {
	integration(t)
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "temporal.db")
	ctx := context.Background()
	first, err := Start(ctx, Options{DBPath: dbPath, UIPort: -1, Logger: testLogger(),
		SearchAttributes: map[string]enumspb.IndexedValueType{"A": enumspb.INDEXED_VALUE_TYPE_KEYWORD}})
	require.NoError(t, err)
	require.NoError(t, first.Stop())

	second := start(t, Options{DBPath: dbPath, UIPort: -1, SearchAttributes: map[string]enumspb.IndexedValueType{
		"A": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"B": enumspb.INDEXED_VALUE_TYPE_INT,
	}})
	c := dial(t, second)
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: second.Namespace()})
	require.NoError(t, err)
	assert.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, resp.GetCustomAttributes()["A"])
	assert.Equal(t, enumspb.INDEXED_VALUE_TYPE_INT, resp.GetCustomAttributes()["B"])
	_, err = c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: second.Namespace(), Query: "B = 1"})
	assert.NoError(t, err, "B is usable in queries")
}

func TestUIAnswers(t *testing.T) {
	t.Parallel()
	srv := start(t, Options{Namespace: "ui-test"})
	require.NotEmpty(t, srv.UIAddress())
	for _, path := range []string{"/", "/healthz"} {
		resp, err := http.Get("http://" + srv.UIAddress() + path)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
}

func TestBusyPortsAreReported(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port

	_, err = Start(context.Background(), Options{FrontendPort: busy, UIPort: -1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "port "+strconv.Itoa(busy)+" on 127.0.0.1 is not available")

	_, err = Start(context.Background(), Options{UIPort: busy})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "temporal ui")

	_, err = Start(context.Background(), Options{IP: "localhost"})
	assert.ErrorContains(t, err, "not an IP address")
}
