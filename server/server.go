// Package server is routedesk's HTTP API (Gin): accounts, channels, inbound
// messages and tickets, with problem+json errors, bearer auth, health,
// Prometheus metrics and an OpenAPI document generated from the same route
// table that registers the handlers.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/csat"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/metrics"
	"github.com/routedesk/routedesk/redelivery"
	"github.com/routedesk/routedesk/rules"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// Config is the API's own configuration.
type Config struct {
	// BootstrapToken authorises POST /v1/accounts; empty disables it.
	BootstrapToken string
	// MaxBodyBytes limits request bodies (413 beyond).
	MaxBodyBytes int64
	// TaskQueue is where conversation workflows are started.
	TaskQueue string
	// OpenWindow and HumanAgentWindow shorten the Messenger/WhatsApp reply
	// windows (24 h and 7 d); test-only knobs, 0 = the real windows.
	OpenWindow       time.Duration
	HumanAgentWindow time.Duration
	// Graph sends what the API itself sends on Messenger: consent prompts, page greetings.
	Graph *graph.Client
	// Channels are the channel types the API serves; nil means the built-in ones (sending through Graph).
	Channels *registry.Registry
	// ContinueAsNewAfter overrides the history length at which conversation
	// workflows continue as new (0: the workflow's default); for tests.
	ContinueAsNewAfter int
	// RedriveMaxAttempts is how many times the redrive loop tries a message
	// before marking its delivery failed (0: DefaultRedriveMaxAttempts).
	RedriveMaxAttempts int
	// RedriveMaxBusyRetries bounds the uncounted, prompt retries of a message
	// whose attempts found Temporal busy (0: DefaultRedriveMaxBusyRetries).
	RedriveMaxBusyRetries int
	// RedriveBackoff and RedriveMaxBackoff bound the wait between attempts,
	// doubling from the first to the second (0: the defaults, 1 s and 5 min).
	RedriveBackoff    time.Duration
	RedriveMaxBackoff time.Duration
	// DeliveryWindow is how many messages this server lets be signalled to
	// their workflow and not yet through the opening (no ticket) at a time;
	// the others wait in PostgreSQL for the redrive loop (0: DefaultDeliveryWindow).
	DeliveryWindow int
	// DeliveryWindowExpiry frees a slot whose conversation has no ticket after
	// this long (0: DefaultDeliveryWindowExpiry).
	DeliveryWindowExpiry time.Duration
	// IntakeLimit refuses new inbound messages (HTTP 503, SMTP 451, with
	// Retry-After) while more than this many accepted ones wait for their
	// workflow (redelivery.Intake); 0: never refuse.
	IntakeLimit int
	// Email are the team email settings (SMTP listener, IMAP pollers) of the built-in channels; unused when Channels is set.
	Email registry.EmailSettings
	// TemporalUI is the Temporal Web UI's namespace URL the console links workflows to; empty: no links.
	TemporalUI string
	// ImportMaxBytes limits an uploaded import file (413 beyond); 0: DefaultImportMaxBytes.
	ImportMaxBytes int64
	// UploadIdleTimeout is how long an import upload may stall before it is answered 408; 0: DefaultUploadIdleTimeout.
	UploadIdleTimeout time.Duration
	// ImportBatchItems, ImportBatchesPerRun and ImportHeartbeatTimeout tune import workflows (0: their defaults); for tests.
	ImportBatchItems       int
	ImportBatchesPerRun    int
	ImportHeartbeatTimeout time.Duration
	// Codec serves /codec/encode and /codec/decode; nil: those routes answer 404.
	Codec converter.PayloadCodec
	// CodecOrigins are the Temporal UI origins (scheme://host:port) allowed to call /codec from a browser.
	CodecOrigins []string
	// CodecLoopback (dev) admits codec requests without a token straight from a loopback address.
	CodecLoopback bool
	// ChatStreamsPerVisitor and ChatStreamsPerServer cap the chat widget's open event streams (0: 5 and 2,000).
	ChatStreamsPerVisitor, ChatStreamsPerServer int
	// LiveStreamsPerUser and LiveStreamsPerServer cap the agents' open event streams, GET /v1/events (0: 10 and 2,000).
	LiveStreamsPerUser, LiveStreamsPerServer int
	// LocalHosts are extra names (lowercase, no port) a Host header may use for a loopback-trusted request; loopback addresses and localhost always may.
	LocalHosts []string
	// TrustedProxies are the proxies (IPs or CIDRs) whose X-Forwarded-For names the client, for logs and
	// per-IP limits (the public forms'); none: the client is the connection's peer.
	TrustedProxies []string
	// ConversationIDs names new conversations' workflows by a keyed hash of their thread
	// (workflows.NewConversationIDs from ROUTEDESK_SECRET_KEY); required to accept messages.
	ConversationIDs workflows.ConversationIDs
	// CSAT checks the satisfaction surveys' rating links (csat.NewLinks from ROUTEDESK_SECRET_KEY);
	// nil: the public rating page answers 404.
	CSAT *csat.Links
}

// Redelivery defaults of Config (the redelivery package's).
const (
	DefaultRedriveMaxAttempts    = redelivery.DefaultMaxAttempts
	DefaultRedriveBackoff        = redelivery.DefaultBackoff
	DefaultRedriveMaxBackoff     = redelivery.DefaultMaxBackoff
	DefaultRedriveMaxBusyRetries = redelivery.DefaultMaxBusyRetries
	DefaultDeliveryWindow        = redelivery.DefaultWindow
	DefaultDeliveryWindowExpiry  = redelivery.DefaultWindowExpiry
)

// Server serves the HTTP API.
type Server struct {
	store    *store.Store
	temporal client.Client
	cfg      Config
	log      *slog.Logger
	metrics  *httpMetrics
	// redrive paces the requests' deliveries and is the redrive loop (Redrive).
	redrive  *redelivery.Loop
	gatherer prometheus.Gatherer
	engine   *gin.Engine
	rules    *rules.Engine
	// ruleMetrics counts the rules skipped while opening tickets through the API.
	ruleMetrics *activities.RuleMetrics
	channels    *registry.Registry
	// bodyLimits are the routes' own request body limits, by method and gin path.
	bodyLimits map[string]int64
	// table is the route table New registered (the server's and the channels'), built once:
	// a channel's Routes may set up state (the chat hub) and must not run twice.
	table []route
	// openAPI caches /openapi.json for the live router.
	openAPI openAPICache
	// routeAuth is who may call each route (authNone: public), by method and gin path.
	routeAuth map[string]string
	// live is the agent event streams' hub, caps and pruning clock.
	live *live
	// csatLimits are the rating pages' per-address rate limits.
	csatLimits httpx.RateLimits
}

// New builds the API. reg receives the API's metrics and gatherer is what /metrics serves.
func New(st *store.Store, tc client.Client, cfg Config, log *slog.Logger, reg prometheus.Registerer, gatherer prometheus.Gatherer) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.ImportMaxBytes <= 0 {
		cfg.ImportMaxBytes = DefaultImportMaxBytes
	}
	if cfg.UploadIdleTimeout <= 0 {
		cfg.UploadIdleTimeout = DefaultUploadIdleTimeout
	}
	if reg != nil {
		// Shared by every server of the process (tests run several): registered once per registry.
		_ = reg.Register(channels.IgnoredInbound)
	}
	s := &Server{store: st, temporal: tc, cfg: cfg, log: log, gatherer: gatherer, metrics: newHTTPMetrics(reg),
		rules: rules.NewEngine(), ruleMetrics: activities.NewRuleMetrics(reg), channels: cfg.Channels}
	s.redrive = redelivery.New(st, redelivery.Config{Deliver: s.deliver, StartRouting: s.startTicketWorkflow,
		ConversationIDs: cfg.ConversationIDs, MaxAttempts: cfg.RedriveMaxAttempts, MaxBusyRetries: cfg.RedriveMaxBusyRetries,
		Backoff: cfg.RedriveBackoff, MaxBackoff: cfg.RedriveMaxBackoff, AttemptTimeout: deliverTimeout,
		Window: cfg.DeliveryWindow, WindowExpiry: cfg.DeliveryWindowExpiry, IntakeLimit: cfg.IntakeLimit}, log, reg)
	if s.channels == nil {
		s.channels = registry.New(registry.Deps{Store: st, Graph: cfg.Graph, Log: log, Email: cfg.Email,
			ChatStreamsPerVisitor: cfg.ChatStreamsPerVisitor, ChatStreamsPerServer: cfg.ChatStreamsPerServer})
	}
	if reg != nil {
		for _, m := range s.channels.Collectors() {
			if err := reg.Register(m); err != nil {
				log.Warn("channel metric not registered", "error", err)
			}
		}
	}
	if reg != nil {
		reg.MustRegister(newHealthCollector(st, log), metrics.NewTickets(st, log))
	}
	s.live = newLive(s)
	if reg != nil {
		for _, m := range s.live.collectors() {
			if err := reg.Register(m); err != nil {
				log.Warn("live stream metric not registered", "error", err)
			}
		}
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.RedirectTrailingSlash = false // "/v1/users/" is a 404 problem, not a text/html redirect
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		log.Error("ROUTEDESK_TRUSTED_PROXIES is invalid; trusting no proxy", "error", err)
		_ = e.SetTrustedProxies(nil)
	}
	e.Use(s.recoverer, s.observe, limitHeaders, httpx.CheckParams, s.limitBody)
	e.NoRoute(func(c *gin.Context) { httpx.WriteProblem(c, http.StatusNotFound, "no such route: "+c.Request.URL.Path) })
	e.NoMethod(func(c *gin.Context) {
		httpx.WriteProblem(c, http.StatusMethodNotAllowed, c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	})
	s.bodyLimits = map[string]int64{}
	s.table = s.allRoutes()
	s.routeAuth = map[string]string{}
	for _, r := range s.table {
		s.routeAuth[r.method+" "+r.path] = r.auth
		if r.maxBody > 0 {
			s.bodyLimits[r.method+" "+r.path] = r.maxBody
		}
		handlers := []gin.HandlerFunc{}
		if admitsInbound(r) {
			handlers = append(handlers, s.admitIntake) // before authentication: a refusal costs no query
		}
		switch {
		case r.guards != nil:
			handlers = append(handlers, r.guards...)
		case r.auth == authAdmin:
			handlers = append(handlers, s.authenticate, requireAdmin)
		case r.auth == authAny:
			handlers = append(handlers, s.authenticate)
		case r.auth == authChannel:
			handlers = append(handlers, s.authenticateChannel)
		}
		if r.request != nil {
			handlers = append(handlers, httpx.CheckJSONBody(httpx.Limits{Keys: r.jsonKeys, Depth: r.jsonDepth}, s.fail))
		}
		handlers = append(handlers, r.handler)
		e.Handle(r.method, r.path, handlers...)
	}
	s.engine = e
	return s
}

// Handler returns the API's http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Redelivery is the loop that paces this server's deliveries and redelivers what they left; the caller runs it.
func (s *Server) Redelivery() *redelivery.Loop { return s.redrive }

// Redrive runs the redelivery loop until ctx ends (redelivery.Loop.Run).
func (s *Server) Redrive(ctx context.Context, interval, grace time.Duration) {
	s.redrive.Run(ctx, interval, grace)
}

// recoverer answers a panic with a 500 problem instead of a dropped connection.
func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.log.ErrorContext(c.Request.Context(), "handler panicked", "route", c.FullPath(), "panic", r)
			httpx.WriteProblem(c, http.StatusInternalServerError, "an internal error occurred; it has been logged")
		}
	}()
	c.Next()
}

// HeaderLimit is the most request-line and header bytes the API accepts; more
// is answered 431 problem+json. The http.Server's own MaxHeaderBytes must be
// larger, or net/http answers first with a text/plain 431.
const HeaderLimit = 64 << 10

// limitHeaders answers 431 when the request line and headers exceed HeaderLimit.
func limitHeaders(c *gin.Context) {
	n := len(c.Request.Method) + len(c.Request.RequestURI) + len(c.Request.Host)
	for k, vs := range c.Request.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	if n > HeaderLimit {
		c.Header("Connection", "close")
		httpx.WriteProblem(c, http.StatusRequestHeaderFieldsTooLarge, "the request line and headers exceed the limit of "+itoa(HeaderLimit)+" bytes")
		return
	}
	c.Next()
}

// limitBody caps request bodies at the configured size (an import upload has its own limit)
// and classifies their read errors (httpx.ClassifyBody).
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.Body != nil && c.Request.Body != http.NoBody {
		if c.FullPath() != importUploadPath {
			limit := s.cfg.MaxBodyBytes
			if own, ok := s.bodyLimits[c.Request.Method+" "+c.FullPath()]; ok {
				limit = own
			}
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		httpx.ClassifyBody(c)
	}
	c.Next()
}

// observe logs each request once and records its metrics.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	elapsed := time.Since(start)
	s.metrics.observe(c.Request.Method, route, status, elapsed)
	if route == "/healthz" || route == "/metrics" {
		return
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(c.Request.Context(), level, "http request",
		"method", c.Request.Method, "route", route, "status", status,
		"duration_ms", float64(elapsed.Microseconds())/1000, "remote", c.ClientIP())
}

// openAPIPath converts a gin path (":id") to an OpenAPI one ("{id}").
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if strings.HasPrefix(part, ":") || strings.HasPrefix(part, "*") {
			parts[i] = "{" + part[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// Route is a registered method and path (gin syntax) and who may call it:
// "" (anyone), "bootstrap", "any" (admin or agent token), "admin" or "channel"
// (a key of the channel, an admin token, or the channel's signature).
type Route struct{ Method, Path, Auth string }

// Routes lists every route the engine serves.
func (s *Server) Routes() []Route {
	auth := map[string]string{}
	for _, r := range s.table {
		auth[r.method+" "+r.path] = r.auth
	}
	var out []Route
	for _, r := range s.engine.Routes() {
		out = append(out, Route{Method: r.Method, Path: r.Path, Auth: auth[r.Method+" "+r.Path]})
	}
	return out
}
