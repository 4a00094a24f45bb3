package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/grpc"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/alerts"
	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/devtemporal"
	"github.com/routedesk/routedesk/internal/signalid"
	"github.com/routedesk/routedesk/mailer"
	"github.com/routedesk/routedesk/metrics"
	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/rules"
	"github.com/routedesk/routedesk/secrets"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/worker"
	"github.com/routedesk/routedesk/workflows"
)

// BootstrapToken is the bootstrap token of every test stack.
const BootstrapToken = "test-bootstrap-token"

// Stack is routedesk wired together for a test: PostgreSQL, an embedded
// Temporal server, a worker and the HTTP API on an httptest server.
type Stack struct {
	T        testing.TB
	Store    *store.Store
	Temporal client.Client
	Server   *devtemporal.Server
	API      *server.Server
	HTTP     *httptest.Server
	Registry *prometheus.Registry
	// Mail receives the notification emails the worker sends.
	Mail *MailSink
	// Graph is the fake Meta Graph API the worker sends Messenger and WhatsApp replies to.
	Graph *GraphFake
	// Codec is the stack's payload codec, with the contact keyring in Store (decodes what Codec(t) cannot).
	Codec *payloadcodec.Codec

	worker sdkworker.Worker // nil while stopped (StopWorker)
	acts   *activities.Activities
}

// StopWorker stops the stack's worker as a lost worker would stop: its workflows' timers stay due in Temporal.
func (s *Stack) StopWorker() {
	if s.worker != nil {
		s.worker.Stop()
		s.worker = nil
	}
}

// StartWorker starts a new worker, with the same activities, in place of a stopped one.
func (s *Stack) StartWorker() {
	if s.worker != nil {
		return
	}
	w := worker.New(s.Temporal, workflows.DefaultTaskQueue, s.acts, 5*time.Second)
	if err := w.Start(); err != nil {
		s.T.Fatalf("start worker: %v", err)
	}
	s.worker = w
}

// TestKey is the secret key of test stacks (32 bytes, base64).
const TestKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// Temporal starts an in-memory embedded Temporal server with routedesk's search attributes.
func Temporal(t testing.TB) *devtemporal.Server {
	t.Helper()
	return temporalAt(t, "")
}

// temporalAt starts the embedded Temporal server persisting to the SQLite file dbPath ("" in memory).
func temporalAt(t testing.TB, dbPath string) *devtemporal.Server {
	t.Helper()
	Integration(t)
	srv, err := devtemporal.Start(context.Background(), devtemporal.Options{
		SearchAttributes: workflows.SearchAttributes(), UIPort: -1, DBPath: dbPath,
	})
	if err != nil {
		t.Fatalf("start embedded Temporal: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// Store opens a migrated store on a throw-away database.
func Store(t testing.TB) *store.Store {
	t.Helper()
	key, err := secrets.ParseKey(TestKey)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, DatabaseURL(t), box)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}

// Option changes how NewStack wires routedesk.
type Option func(*stackOptions)

type stackOptions struct {
	extra        []channels.Channel
	email        registry.EmailSettings
	temporalFile string
	serverConfig func(*server.Config)
}

// WithServerConfig lets a test change the API's configuration (stream caps, …) before the server starts.
func WithServerConfig(change func(*server.Config)) Option {
	return func(o *stackOptions) { o.serverConfig = change }
}

// WithTemporalFile makes the stack's embedded Temporal server persist to the SQLite file path, as
// routedesk dev does, so a test can read what Temporal stores.
func WithTemporalFile(path string) Option {
	return func(o *stackOptions) { o.temporalFile = path }
}

// WithEmail gives the stack's email channel these settings (an SMTP listener, IMAP pollers); Stack.Listen runs them.
func WithEmail(s registry.EmailSettings) Option {
	return func(o *stackOptions) { o.email = s }
}

// WithChannels registers channels beyond the built-in ones (a test's own channel type) with the API and the worker.
func WithChannels(extra ...channels.Channel) Option {
	return func(o *stackOptions) { o.extra = append(o.extra, extra...) }
}

// NewStack starts the whole of routedesk for one test.
func NewStack(t testing.TB, opts ...Option) *Stack {
	t.Helper()
	var o stackOptions
	for _, opt := range opts {
		opt(&o)
	}
	st := Store(t)
	srv := temporalAt(t, o.temporalFile)
	reg := metrics.NewRegistry()
	mh, closer := metrics.TemporalHandler(reg)
	t.Cleanup(func() { _ = closer.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	codec := Codec(t).WithKeyring(Keyring(t, st))
	lastStack.Lock()
	lastStack.codec = codec
	lastStack.Unlock()
	tc, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace(), MetricsHandler: mh,
		Logger: sdklog.NewStructuredLogger(log), DataConverter: codec.DataConverter(), FailureConverter: codec.FailureConverter(),
		// as routedesk dev dials its embedded server: no gzip on the loopback
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: &client.GrpcCompressionNone{},
			DialOptions: []grpc.DialOption{signalid.DialOption()}}})
	if err != nil {
		t.Fatalf("dial Temporal: %v", err)
	}
	t.Cleanup(tc.Close)
	sink := NewMailSink(t)
	m, err := mailer.Parse("smtp://"+sink.Addr+"?tls=none", "routedesk@test.invalid")
	if err != nil {
		t.Fatal(err)
	}
	graphFake := NewGraphFake(t)
	chans, err := registry.New(registry.Deps{Store: st, Graph: graph.New(graphFake.URL), Log: log, Email: o.email}).With(o.extra...)
	if err != nil {
		t.Fatal(err)
	}
	ids := ConversationIDs(t)
	links := CSATLinks(t)
	acts := &activities.Activities{Store: st, Rules: rules.NewEngine(), Log: log, Mail: m, Graph: graph.New(graphFake.URL), Channels: chans,
		WorkflowID: ids.ID, RuleMetrics: activities.NewRuleMetrics(reg), CSAT: links}
	stack := &Stack{T: t, Store: st, Temporal: tc, Server: srv, Registry: reg, Mail: sink, Graph: graphFake, Codec: codec, acts: acts}
	stack.StartWorker()
	t.Cleanup(stack.StopWorker)
	alertCtx, stopAlerts := context.WithCancel(context.Background())
	alertsDone := make(chan struct{})
	go func() {
		defer close(alertsDone)
		(&alerts.Sender{Store: st, Mail: m, Log: log, Interval: 200 * time.Millisecond}).Run(alertCtx)
	}()
	t.Cleanup(func() { stopAlerts(); <-alertsDone })
	cfg := server.Config{BootstrapToken: BootstrapToken, TaskQueue: workflows.DefaultTaskQueue, MaxBodyBytes: 64 << 10,
		Graph: graph.New(graphFake.URL), Channels: chans, Codec: codec, ConversationIDs: ids, CSAT: links}
	if o.serverConfig != nil {
		o.serverConfig(&cfg)
	}
	api := server.New(st, tc, cfg, log, reg, reg)
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(hs.Close)
	links.SetBaseURL(hs.URL)    // the invitations' rating links point at the test's API
	t.Cleanup(api.CloseStreams) // first: an open event stream (a console tab) would hold hs.Close
	stack.API, stack.HTTP = api, hs
	return stack
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// Response is a decoded HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends a request to the API; body may be nil, a string (sent as is) or a value (sent as JSON).
func (s *Stack) Do(method, path, token string, body any) Response {
	return Do(s.T, s.HTTP.URL, method, path, token, body)
}

// Do sends a request to a routedesk API at base.
func Do(t testing.TB, base, method, path, token string, body any) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: out}
}

// Account creates an account through the API and returns its admin token.
func (s *Stack) Account(name, tier string) (id, token string) {
	s.T.Helper()
	r := s.Do(http.MethodPost, "/v1/accounts", BootstrapToken, map[string]string{"name": name, "tier": tier})
	if r.Status != http.StatusCreated {
		s.T.Fatalf("create account: %d %s", r.Status, r.Body)
	}
	m := r.Map(s.T)
	return m["id"].(string), m["admin_token"].(string)
}

// Eventually polls cond every 50 ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
