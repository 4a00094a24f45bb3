package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/alerts"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/csat"
	"github.com/routedesk/routedesk/internal/signalid"
	"github.com/routedesk/routedesk/mailer"
	"github.com/routedesk/routedesk/metrics"
	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/rules"
	"github.com/routedesk/routedesk/secrets"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// secretKey is ROUTEDESK_SECRET_KEY, or, when generate is set and no key is
// configured, the key kept in the data dir (created on first use).
func secretKey(cfg *config, generate bool) ([]byte, error) {
	key := cfg.SecretKey
	if key == "" {
		if !generate {
			return nil, errors.New("ROUTEDESK_SECRET_KEY is required: generate one with `openssl rand -base64 32`")
		}
		var err error
		key, err = secrets.LoadOrCreateKeyFile(filepath.Join(cfg.DataDir, "secret.key"))
		if err != nil {
			return nil, fmt.Errorf("dev secret key: %w", err)
		}
	}
	raw, err := secrets.ParseKey(key)
	if err != nil {
		return nil, fmt.Errorf("ROUTEDESK_SECRET_KEY: %w", err)
	}
	return raw, nil
}

// secretBox builds the box sealing channel secrets from the secret key.
func secretBox(cfg *config, generate bool) (*secrets.Box, error) {
	raw, err := secretKey(cfg, generate)
	if err != nil {
		return nil, err
	}
	box, err := secrets.NewBox(raw)
	if err != nil {
		return nil, fmt.Errorf("ROUTEDESK_SECRET_KEY: %w", err)
	}
	return box, nil
}

// conversationIDs names new conversations' workflows by a keyed hash of their
// thread, the key derived from the secret key (dev: the one in the data dir).
func conversationIDs(cfg *config) (workflows.ConversationIDs, error) {
	raw, err := secretKey(cfg, cfg.devMode)
	if err != nil {
		return workflows.ConversationIDs{}, err
	}
	ids, err := workflows.NewConversationIDs(raw)
	if err != nil {
		return ids, fmt.Errorf("ROUTEDESK_SECRET_KEY: %w", err)
	}
	return ids, nil
}

// csatLinks signs the satisfaction surveys' rating links under a key derived from the secret key; their
// base URL is ROUTEDESK_PUBLIC_URL (empty: invitations that need a link fail, saying so).
func csatLinks(cfg *config) (*csat.Links, error) {
	raw, err := secretKey(cfg, cfg.devMode)
	if err != nil {
		return nil, err
	}
	l, err := csat.NewLinks(raw, cfg.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("ROUTEDESK_SECRET_KEY: %w", err)
	}
	return l, nil
}

// payloadCodec builds the codec encrypting Temporal payloads under a key
// derived from the secret key; payloads of ROUTEDESK_PREVIOUS_SECRET_KEYS still decode.
func payloadCodec(cfg *config, generate bool) (*payloadcodec.Codec, error) {
	raw, err := secretKey(cfg, generate)
	if err != nil {
		return nil, err
	}
	var previous [][]byte
	for i, k := range strings.Split(cfg.PreviousSecretKeys, ",") {
		if strings.TrimSpace(k) == "" {
			continue
		}
		old, err := secrets.ParseKey(k)
		if err != nil {
			return nil, fmt.Errorf("ROUTEDESK_PREVIOUS_SECRET_KEYS, key %d: %w", i+1, err)
		}
		previous = append(previous, old)
	}
	codec, err := payloadcodec.New(raw, previous...)
	if err != nil {
		return nil, fmt.Errorf("ROUTEDESK_SECRET_KEY: %w", err)
	}
	return codec, nil
}

// dialTemporal connects to the Temporal frontend with the configured TLS, API key and metrics.
// With a codec, payloads, memos, summaries and failure messages are encrypted.
func dialTemporal(ctx context.Context, cfg *config, address string, log *slog.Logger, mh client.MetricsHandler, codec *payloadcodec.Codec) (client.Client, error) {
	opts := client.Options{
		HostPort:       address,
		Namespace:      cfg.TemporalNamespace,
		Logger:         sdklog.NewStructuredLogger(log.With("component", "temporal-sdk")),
		MetricsHandler: mh,
	}
	if codec != nil {
		opts.DataConverter, opts.FailureConverter = codec.DataConverter(), codec.FailureConverter()
	}
	tlsCfg, err := temporalTLS(cfg)
	if err != nil {
		return nil, err
	}
	opts.ConnectionOptions.TLS = tlsCfg
	opts.ConnectionOptions.DialOptions = append(opts.ConnectionOptions.DialOptions, signalid.DialOption())
	if loopback(address) {
		// gzip saves no bandwidth on the loopback (the embedded server of
		// routedesk dev, a local cluster) and costs CPU on every call.
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	if cfg.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	dialCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, err := client.DialContext(dialCtx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", address, cfg.TemporalNamespace, err)
	}
	return c, nil
}

// loopback reports whether a host:port names this machine by a loopback address or "localhost".
func loopback(address string) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func temporalTLS(cfg *config) (*tls.Config, error) {
	if cfg.TemporalTLSCert == "" && cfg.TemporalTLSCA == "" && cfg.TemporalAPIKey == "" && cfg.TemporalTLSServer == "" {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TemporalTLSServer}
	if cfg.TemporalTLSCert != "" || cfg.TemporalTLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TemporalTLSCert, cfg.TemporalTLSKey)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	if cfg.TemporalTLSCA != "" {
		pem, err := os.ReadFile(cfg.TemporalTLSCA)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: %s holds no PEM certificate", cfg.TemporalTLSCA)
		}
		t.RootCAs = pool
	}
	return t, nil
}

// openStore opens PostgreSQL; migrate applies pending migrations, otherwise
// a pending migration is an error naming `routedesk migrate`.
func openStore(ctx context.Context, cfg *config, box *secrets.Box, migrate bool, log *slog.Logger) (*store.Store, error) {
	if err := checkDatabaseURL(cfg.DatabaseURL); err != nil {
		return nil, err
	}
	st, err := store.OpenPool(ctx, cfg.DatabaseURL, box, cfg.Pool)
	if err != nil {
		return nil, explainStoreError(err, cfg.DatabaseURL)
	}
	if migrate {
		n, err := st.Migrate(ctx)
		if err != nil {
			_ = st.Close()
			return nil, err
		}
		log.Info("database ready", "url", store.Redact(cfg.DatabaseURL), "migrations_applied", n)
		return st, nil
	}
	if err := st.CheckSchema(ctx); err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}

// telemetry is the process's metrics registry and Temporal SDK metrics handler.
type telemetry struct {
	registry *prometheus.Registry
	temporal client.MetricsHandler
	close    func() error
}

func newTelemetry() (*telemetry, error) {
	reg := metrics.NewRegistry()
	mh, closer := metrics.TemporalHandler(reg)
	return &telemetry{registry: reg, temporal: mh, close: closer.Close}, nil
}

// serveAPI runs the HTTP API and the redrive loop until ctx ends, then lets
// in-flight requests finish within the shutdown timeout.
// mount, when not nil, wraps the API's handler (dev adds its demo page).
func serveAPI(ctx context.Context, cfg *config, st *store.Store, tc client.Client, codec *payloadcodec.Codec, tel *telemetry, log *slog.Logger, ready func(addr string), mount func(http.Handler) http.Handler) error {
	emailSettings, err := teamEmail(cfg)
	if err != nil {
		return err
	}
	ids, err := conversationIDs(cfg)
	if err != nil {
		return err
	}
	links, err := csatLinks(cfg)
	if err != nil {
		return err
	}
	listening := make(chan struct{})
	var once sync.Once
	emailSettings.OnListening = func(string) { once.Do(func() { close(listening) }) }
	api := server.New(st, tc, server.Config{
		Codec: codec, CodecOrigins: codecOrigins(cfg), CodecLoopback: cfg.devMode, LocalHosts: listenHost(cfg.HTTPAddr),
		BootstrapToken: cfg.BootstrapToken, MaxBodyBytes: cfg.MaxBodyBytes, ImportMaxBytes: cfg.ImportMaxBytes, TaskQueue: cfg.TaskQueue,
		OpenWindow: cfg.TestOpenWindow, HumanAgentWindow: cfg.TestHumanWindow, Graph: graph.New(cfg.GraphAPIURL),
		RedriveMaxAttempts:    cfg.RedriveAttempts,
		TemporalUI:            temporalUINamespace(cfg),
		TrustedProxies:        splitList(cfg.TrustedProxies),
		Email:                 emailSettings,
		ChatStreamsPerVisitor: cfg.ChatStreamsPerVisitor, ChatStreamsPerServer: cfg.ChatStreamsPerServer,
		LiveStreamsPerUser: cfg.LiveStreamsPerUser, LiveStreamsPerServer: cfg.LiveStreamsPerServer,
		ConversationIDs: ids,
		DeliveryWindow:  cfg.DeliveryWindow,
		IntakeLimit:     cfg.IntakeLimit,
		CSAT:            links,
	}, log, tel.registry, tel.registry)
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (ROUTEDESK_HTTP_ADDR): %w", cfg.HTTPAddr, err)
	}
	h := api.Handler()
	if mount != nil {
		h = mount(h)
	}
	srv := newHTTPServer(h)
	redriveCtx, stopRedrive := context.WithCancel(ctx)
	defer stopRedrive()
	go api.Redelivery().Run(redriveCtx, cfg.RedriveInterval, 5*time.Second)
	go api.RunGraphChecks(redriveCtx, time.Minute) // claimed per channel: every server may run it

	errc := make(chan error, 2)
	listenCtx, stopListen := context.WithCancel(ctx)
	defer stopListen()
	go func() {
		if err := api.Listen(listenCtx); err != nil {
			errc <- fmt.Errorf("team email: %w", err)
		}
	}()
	if emailSettings.SMTPAddr != "" {
		select { // the SMTP listener is bound (or failed) before start-up is announced
		case <-listening:
		case err := <-errc:
			return err
		}
	}
	go func() { errc <- srv.Serve(server.ProblemListener(ln)) }() // net/http's own 400s as problem+json
	log.Info("HTTP API listening", "addr", ln.Addr().String())
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down HTTP API")
	stopRedrive()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down HTTP API: %w", err)
	}
	return nil
}

// HTTP server limits: a client gets ReadHeaderTimeout for its headers and
// ReadTimeout for the whole request (a slower body is answered 408), the
// handler and response get WriteTimeout, an idle keep-alive connection is
// closed after IdleTimeout. Headers above server.HeaderLimit are answered 431
// problem+json by the API; maxHeaderBytes is net/http's own, larger cap.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 90 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 16 * server.HeaderLimit
)

// newHTTPServer is the API's http.Server with the limits above.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes}
}

// newActivities builds the activity implementations the worker registers; their metrics go to reg.
func newActivities(cfg *config, st *store.Store, log *slog.Logger, reg prometheus.Registerer) (*activities.Activities, error) {
	ids, err := conversationIDs(cfg)
	if err != nil {
		return nil, err
	}
	links, err := csatLinks(cfg)
	if err != nil {
		return nil, err
	}
	acts := &activities.Activities{Store: st, Rules: rules.NewEngine(), Log: log.With("component", "activities"), Graph: graph.New(cfg.GraphAPIURL),
		WorkflowID: ids.ID, RuleMetrics: activities.NewRuleMetrics(reg), CSAT: links}
	if cfg.SMTPURL != "" {
		m, err := mailer.Parse(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return nil, fmt.Errorf("ROUTEDESK_SMTP_URL: %w", err)
		}
		acts.Mail = m
	}
	return acts, nil
}

// listenHost is the host of a listen address as a Host header names it, when it is a name or address of its own.
func listenHost(addr string) []string {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || host == "" || (ip != nil && ip.IsUnspecified()) {
		return nil
	}
	return []string{strings.ToLower(host)}
}

// startHealthAlerts sends the queued "channel is failing" emails to account
// admins through the system mail path (ROUTEDESK_SMTP_URL) until ctx ends.
func startHealthAlerts(ctx context.Context, acts *activities.Activities, st *store.Store, log *slog.Logger) {
	if acts.Mail == nil {
		log.Info("ROUTEDESK_SMTP_URL is not set: admins are not emailed when a channel starts failing (its health still shows in the API)")
		return
	}
	s := &alerts.Sender{Store: st, Mail: acts.Mail, Log: log.With("component", "health-alerts")}
	go s.Run(ctx)
}
