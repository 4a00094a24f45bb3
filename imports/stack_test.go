package imports_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/mailer"
	"github.com/routedesk/routedesk/rules"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/worker"
	"github.com/routedesk/routedesk/workflows"
)

// stack is routedesk for import tests: PostgreSQL, embedded Temporal, the API
// (with its redrive loop) and a worker the test may stop and start again.
type stack struct {
	// t is the running (sub)test; root owns the stack's cleanups.
	t      *testing.T
	root   *testing.T
	st     *store.Store
	tc     client.Client
	url    string
	worker sdkworker.Worker
	// stopWorker stops the current worker (once).
	stopWorker func()
	acts       *activities.Activities
	mail       *testenv.MailSink
	// api runs the IMAP pollers of email channels when listen is called.
	api *server.Server
}

// importLimit is the test API's import size limit; its request body limit stays the default 1 MiB.
const importLimit = 3 << 20

func newStack(t *testing.T) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL and an embedded Temporal server")
	}
	st := testenv.Store(t)
	srv := testenv.Temporal(t)
	tc, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace(),
		Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &stack{t: t, root: t, st: st, tc: tc, mail: testenv.NewMailSink(t)}
	m, err := mailer.Parse("smtp://"+s.mail.Addr+"?tls=none", "routedesk@test.invalid")
	if err != nil {
		t.Fatal(err)
	}
	s.acts = &activities.Activities{Store: st, Rules: rules.NewEngine(), Log: log, Mail: m, WorkflowID: testenv.ConversationIDs(t).ID}
	s.startWorker()
	reg := prometheus.NewRegistry()
	api := server.New(st, tc, server.Config{ConversationIDs: testenv.ConversationIDs(t), BootstrapToken: testenv.BootstrapToken, TaskQueue: workflows.DefaultTaskQueue,
		ImportMaxBytes: importLimit, ImportBatchItems: 40, ImportBatchesPerRun: 3, ImportHeartbeatTimeout: 2 * time.Second,
		Email: registry.EmailSettings{IMAP: true, Rescan: 200 * time.Millisecond}}, log, reg, reg)
	s.api = api
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(hs.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go api.Redrive(ctx, 200*time.Millisecond, 0)
	s.url = hs.URL
	return s
}

// listen runs the API's listeners (the IMAP pollers) until the returned stop is called.
func (s *stack) listen() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.api.Listen(ctx) }()
	return func() { cancel(); <-done }
}

func (s *stack) startWorker() {
	s.t.Helper()
	s.worker = worker.New(s.tc, workflows.DefaultTaskQueue, s.acts, 0)
	if err := s.worker.Start(); err != nil {
		s.t.Fatal(err)
	}
	w := s.worker
	var once sync.Once
	s.stopWorker = func() { once.Do(w.Stop) }
	s.root.Cleanup(s.stopWorker)
}

func (s *stack) do(method, path, token string, body any) testenv.Response {
	s.t.Helper()
	return testenv.Do(s.t, s.url, method, path, token, body)
}

// upload posts a file to a channel's imports and returns the response.
func (s *stack) upload(token, channelID, query, contentType string, body []byte) testenv.Response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/v1/channels/"+channelID+"/imports"+query, strings.NewReader(string(body)))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: out}
}

// account creates an account and returns its admin token.
func (s *stack) account(name string) string {
	s.t.Helper()
	r := s.do(http.MethodPost, "/v1/accounts", testenv.BootstrapToken, map[string]string{"name": name, "tier": "enterprise"})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create account: %d %s", r.Status, r.Body)
	}
	return r.Map(s.t)["admin_token"].(string)
}

// channel connects a channel and returns its id.
func (s *stack) channel(token string, body map[string]any) string {
	s.t.Helper()
	r := s.do(http.MethodPost, "/v1/channels", token, body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create channel: %d %s", r.Status, r.Body)
	}
	return r.Map(s.t)["id"].(string)
}

type importView struct {
	ID          string              `json:"id"`
	State       string              `json:"state"`
	Total       int                 `json:"total"`
	Imported    int                 `json:"imported"`
	Skipped     int                 `json:"skipped"`
	Errors      []store.ImportError `json:"errors"`
	WouldCreate *store.WouldCreate  `json:"would_create"`
	StartedAt   *time.Time          `json:"started_at"`
	FinishedAt  *time.Time          `json:"finished_at"`
}

// run uploads a file and waits until its import ends.
func (s *stack) run(token, channelID, query, contentType string, body []byte) importView {
	s.t.Helper()
	r := s.upload(token, channelID, query, contentType, body)
	if r.Status != http.StatusAccepted {
		s.t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	id := r.Map(s.t)["import_id"].(string)
	return s.wait(token, id, 90*time.Second)
}

func (s *stack) get(token, id string) importView {
	s.t.Helper()
	r := s.do(http.MethodGet, "/v1/imports/"+id, token, nil)
	if r.Status != http.StatusOK {
		s.t.Fatalf("get import: %d %s", r.Status, r.Body)
	}
	var v importView
	r.JSON(s.t, &v)
	return v
}

func (s *stack) wait(token, id string, timeout time.Duration) importView {
	s.t.Helper()
	var v importView
	testenv.Eventually(s.t, timeout, "import "+id+" to end", func() bool {
		v = s.get(token, id)
		return v.State != store.ImportRunning
	})
	return v
}

// count runs a counting query.
func (s *stack) count(q string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.st.DB().Get(&n, q, args...); err != nil {
		s.t.Fatalf("%s: %v", q, err)
	}
	return n
}
