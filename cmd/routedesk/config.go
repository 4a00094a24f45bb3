package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/worker"
)

// config is every setting of the binary; each has an environment variable and a flag.
type config struct {
	HTTPAddr string
	// OutboundAllowedNetworks are internal networks channels may still connect to (CIDRs, comma-separated).
	OutboundAllowedNetworks string
	// ChatStreamsPerVisitor and ChatStreamsPerServer cap the chat widget's open event streams.
	ChatStreamsPerVisitor, ChatStreamsPerServer int
	// LiveStreamsPerUser and LiveStreamsPerServer cap the agents' open event streams (GET /v1/events).
	LiveStreamsPerUser, LiveStreamsPerServer int
	DatabaseURL                              string
	TemporalAddress                          string
	TemporalNamespace                        string
	TemporalTLSCert                          string
	TemporalTLSKey                           string
	TemporalTLSCA                            string
	TemporalTLSServer                        string
	TemporalAPIKey                           string
	TaskQueue                                string
	DataDir                                  string
	DevTemporalPort                          int
	DevUIPort                                int
	TemporalHistoryShards                    int
	TemporalUIURL                            string
	TrustedProxies                           string
	BootstrapToken                           string
	DevToken                                 string
	SecretKey                                string
	// PreviousSecretKeys are earlier secret keys, comma-separated: Temporal payloads they encrypted still decode.
	PreviousSecretKeys string
	// CodecOrigins are extra Temporal UI origins allowed to call /codec from a browser, comma-separated.
	CodecOrigins   string
	MaxBodyBytes   int64
	ImportMaxBytes int64
	ImportPause    time.Duration
	GraphAPIURL    string
	SMTPURL        string
	SMTPAddr       string // team email: the SMTP listener (email.go)
	SMTPMaxBytes   int64
	SMTPTLSCert    string
	SMTPTLSKey     string
	MailFrom       string
	// EmailVerification is required or off: whether a new team address must be proven (email.go); "" = required, off in dev.
	EmailVerification string

	// Mailbox providers' OAuth applications (email.go; docs/channels/email-oauth.md).
	GmailClientID, GmailClientSecret                                   string
	Microsoft365ClientID, Microsoft365ClientSecret, Microsoft365Tenant string

	// PublicURL is the API's base URL as customers' browsers reach it (verification links).
	PublicURL       string
	LogLevel        string
	LogFormat       string
	RedriveInterval time.Duration
	RedriveAttempts int
	DeliveryWindow  int
	IntakeLimit     int
	TestOpenWindow  time.Duration
	TestHumanWindow time.Duration
	ShutdownTimeout time.Duration
	Pool            store.Pool         // PostgreSQL pool of this process (pool.go)
	TemporalIP      string             // temporal: address the embedded engine listens on
	devMode         bool               // dev: the codec endpoint admits loopback requests without a token
	Conversations   conversationsFlags // conversations: its filters

	// WorkflowCacheSize bounds the workflows a worker keeps cached between tasks (worker.SetWorkflowCacheSize).
	WorkflowCacheSize int
	// PprofAddr is where dev serves Go's runtime profiles; empty: nowhere.
	PprofAddr string
	// MetricsAddr is where a worker serves /metrics and /healthz; empty: nowhere.
	MetricsAddr string
}

// bind declares the flags of cfg on fs with defaults taken from the environment.
func bind(fs *flag.FlagSet, cfg *config) {
	str := func(p *string, env, name, def, help string) {
		fs.StringVar(p, name, envOr(env, def), help+" ($"+env+")")
	}
	integer := func(p *int, env, name string, def int, help string) {
		v, err := strconv.Atoi(envOr(env, strconv.Itoa(def)))
		if err != nil {
			v = def
			badEnv = append(badEnv, fmt.Sprintf("%s=%q is not a whole number", env, os.Getenv(env)))
		}
		fs.IntVar(p, name, v, help+" ($"+env+")")
	}
	duration := func(p *time.Duration, env, name string, def time.Duration, help string) {
		v, err := time.ParseDuration(envOr(env, def.String()))
		if err != nil {
			v = def
			badEnv = append(badEnv, fmt.Sprintf("%s=%q is not a duration such as 2s or 1m", env, os.Getenv(env)))
		}
		fs.DurationVar(p, name, v, help+" ($"+env+")")
	}
	str(&cfg.HTTPAddr, "ROUTEDESK_HTTP_ADDR", "http-addr", "127.0.0.1:8080", "address the HTTP API listens on")
	str(&cfg.DatabaseURL, "DATABASE_URL", "database-url", "postgres://postgres@127.0.0.1:5432/routedesk?sslmode=disable", "PostgreSQL URL; the database is created if missing")
	str(&cfg.TemporalAddress, "TEMPORAL_ADDRESS", "temporal-address", "", "Temporal frontend host:port; empty: dev starts an embedded server, server/worker use 127.0.0.1:7233")
	str(&cfg.TemporalNamespace, "TEMPORAL_NAMESPACE", "temporal-namespace", "default", "Temporal namespace")
	str(&cfg.TrustedProxies, "ROUTEDESK_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated IPs or CIDRs of the reverse proxies whose X-Forwarded-For names the client (per-IP limits of public forms); empty: the peer is the client")
	str(&cfg.TemporalUIURL, "ROUTEDESK_TEMPORAL_UI_URL", "temporal-ui-url", "", "Temporal Web UI base URL the console links workflows to; dev: its embedded UI")
	str(&cfg.TemporalTLSCert, "TEMPORAL_TLS_CERT", "temporal-tls-cert", "", "client certificate file (mTLS)")
	str(&cfg.TemporalTLSKey, "TEMPORAL_TLS_KEY", "temporal-tls-key", "", "client key file (mTLS)")
	str(&cfg.TemporalTLSCA, "TEMPORAL_TLS_CA", "temporal-tls-ca", "", "CA file to verify the Temporal server")
	str(&cfg.TemporalTLSServer, "TEMPORAL_TLS_SERVER_NAME", "temporal-tls-server-name", "", "server name to verify in the Temporal server's certificate")
	str(&cfg.TemporalAPIKey, "TEMPORAL_API_KEY", "temporal-api-key", "", "API key (Temporal Cloud); implies TLS")
	str(&cfg.TaskQueue, "ROUTEDESK_TASK_QUEUE", "task-queue", "routedesk", "Temporal task queue of routedesk's workers")
	str(&cfg.DataDir, "ROUTEDESK_DATA_DIR", "data-dir", "./data", "dev: where the embedded Temporal database, secret key and dev token live")
	integer(&cfg.DevTemporalPort, "ROUTEDESK_DEV_TEMPORAL_PORT", "dev-temporal-port", 7233, "dev: embedded Temporal frontend port")
	integer(&cfg.DevUIPort, "ROUTEDESK_DEV_UI_PORT", "dev-ui-port", 8233, "dev: Temporal Web UI port (-1 disables the UI)")
	str(&cfg.BootstrapToken, "ROUTEDESK_BOOTSTRAP_TOKEN", "bootstrap-token", "", "token that authorises POST /v1/accounts; empty disables it")
	str(&cfg.DevToken, "ROUTEDESK_DEV_TOKEN", "dev-token", "", "dev: admin token of the default account (random and kept in the data dir when empty)")
	str(&cfg.SecretKey, "ROUTEDESK_SECRET_KEY", "secret-key", "", "32-byte key (base64 or hex) sealing channel secrets; dev generates one in the data dir")
	str(&cfg.PreviousSecretKeys, "ROUTEDESK_PREVIOUS_SECRET_KEYS", "previous-secret-keys", "", "earlier ROUTEDESK_SECRET_KEY values, comma-separated, whose encrypted Temporal payloads must still decode (key rotation)")
	str(&cfg.CodecOrigins, "ROUTEDESK_CODEC_CORS_ORIGINS", "codec-cors-origins", "", "Temporal UI origins (scheme://host:port, comma-separated) allowed to call /codec from a browser, besides ROUTEDESK_TEMPORAL_UI_URL's")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", envInt64("ROUTEDESK_MAX_BODY_BYTES", 1<<20), "largest request body accepted ($ROUTEDESK_MAX_BODY_BYTES)")
	fs.Int64Var(&cfg.ImportMaxBytes, "import-max-bytes", envInt64("ROUTEDESK_IMPORT_MAX_BYTES", server.DefaultImportMaxBytes), "largest import file accepted by POST /v1/channels/{id}/imports ($ROUTEDESK_IMPORT_MAX_BYTES)")
	duration(&cfg.ImportPause, "ROUTEDESK_IMPORT_PAUSE", "import-pause", 0, "worker: pause after each imported conversation or mail, to leave PostgreSQL to live traffic (0 = full speed)")
	integer(&cfg.WorkflowCacheSize, "ROUTEDESK_WORKFLOW_CACHE_SIZE", "workflow-cache-size", worker.DefaultWorkflowCacheSize, "worker: most conversation workflows kept in memory between their tasks; an evicted one is replayed from its history on its next event")
	str(&cfg.MetricsAddr, "ROUTEDESK_METRICS_ADDR", "metrics-addr", "", "worker: address to serve Prometheus metrics (/metrics, the task queue backlog included) and liveness (/healthz) on, e.g. 0.0.0.0:9090; empty: none")
	str(&cfg.PprofAddr, "ROUTEDESK_PPROF_ADDR", "pprof-addr", "", "dev: address to serve Go's runtime profiles on (/debug/pprof/), e.g. 127.0.0.1:6060; empty: none")
	str(&cfg.GraphAPIURL, "ROUTEDESK_GRAPH_API_URL", "graph-api-url", "https://graph.facebook.com", "Meta Graph API base URL (Messenger and WhatsApp replies)")
	str(&cfg.SMTPURL, "ROUTEDESK_SMTP_URL", "smtp-url", "", "SMTP server for notification emails, e.g. smtp://user:pass@host:587 (STARTTLS), smtps://…:465, smtp://host:25?tls=none; empty: no emails")
	str(&cfg.SMTPAddr, "ROUTEDESK_SMTP_ADDR", "smtp-addr", "", "address the team email SMTP listener accepts mail on, e.g. 127.0.0.1:2525; empty: none (dev: 127.0.0.1:2525, off disables)")
	fs.Int64Var(&cfg.SMTPMaxBytes, "smtp-max-bytes", envInt64("ROUTEDESK_SMTP_MAX_BYTES", 25<<20), "largest inbound mail (SMTP listener answers 552, raw endpoint 413) ($ROUTEDESK_SMTP_MAX_BYTES)")
	str(&cfg.SMTPTLSCert, "ROUTEDESK_SMTP_TLS_CERT", "smtp-tls-cert", "", "certificate file; with ROUTEDESK_SMTP_TLS_KEY the SMTP listener offers STARTTLS")
	str(&cfg.SMTPTLSKey, "ROUTEDESK_SMTP_TLS_KEY", "smtp-tls-key", "", "key file of ROUTEDESK_SMTP_TLS_CERT")
	str(&cfg.EmailVerification, "ROUTEDESK_EMAIL_VERIFICATION", "email-verification", "", "required or off: a newly connected team address receives no mail until a mailed code proves it (default required; dev: off)")
	str(&cfg.PublicURL, "ROUTEDESK_PUBLIC_URL", "public-url", "", "the API's public base URL (https://desk.example.com), for the link in verification mails and the mailbox providers' OAuth redirect URI (+ /v1/email/oauth/callback); empty: the mail holds the code only")
	str(&cfg.GmailClientID, "ROUTEDESK_GMAIL_CLIENT_ID", "gmail-client-id", "", "Google OAuth client id: admins connect Gmail mailboxes with Google's consent screen (docs/channels/email-oauth.md); empty: no Connect Gmail")
	str(&cfg.GmailClientSecret, "ROUTEDESK_GMAIL_CLIENT_SECRET", "gmail-client-secret", "", "Google OAuth client secret of ROUTEDESK_GMAIL_CLIENT_ID")
	str(&cfg.Microsoft365ClientID, "ROUTEDESK_MICROSOFT365_CLIENT_ID", "microsoft365-client-id", "", "Microsoft Entra application (client) id: admins connect Microsoft 365 mailboxes with Microsoft's consent screen; empty: no Connect Microsoft 365")
	str(&cfg.Microsoft365ClientSecret, "ROUTEDESK_MICROSOFT365_CLIENT_SECRET", "microsoft365-client-secret", "", "client secret of ROUTEDESK_MICROSOFT365_CLIENT_ID")
	str(&cfg.Microsoft365Tenant, "ROUTEDESK_MICROSOFT365_TENANT", "microsoft365-tenant", "organizations", "Microsoft Entra tenant whose accounts may connect: organizations (any work account), a tenant id or domain")
	str(&cfg.MailFrom, "ROUTEDESK_MAIL_FROM", "mail-from", "routedesk@localhost", "From address of notification emails")
	str(&cfg.LogLevel, "ROUTEDESK_LOG_LEVEL", "log-level", "info", "debug, info, warn or error")
	str(&cfg.LogFormat, "ROUTEDESK_LOG_FORMAT", "log-format", "text", "text or json")
	duration(&cfg.RedriveInterval, "ROUTEDESK_REDRIVE_INTERVAL", "redrive-interval", 2*time.Second, "how often stored but undelivered messages are re-sent to Temporal")
	integer(&cfg.IntakeLimit, "ROUTEDESK_INTAKE_LIMIT", "intake-limit", 0, "server: while more than this many accepted messages wait for their conversation, refuse new inbound messages (HTTP 503, SMTP 451 4.3.2, with Retry-After) so that senders retry later and ticket creation keeps its full rate; 0: never refuse")
	integer(&cfg.DeliveryWindow, "ROUTEDESK_DELIVERY_WINDOW", "delivery-window", server.DefaultDeliveryWindow, "server: most new conversations handed to Temporal and not yet ticketed at a time; more wait in PostgreSQL and are delivered as tickets are made")
	integer(&cfg.RedriveAttempts, "ROUTEDESK_REDRIVE_MAX_ATTEMPTS", "redrive-max-attempts", 10, "attempts to deliver a stored message to Temporal before it is marked failed (GET /v1/deliveries?state=failed)")
	duration(&cfg.TestOpenWindow, "ROUTEDESK_TEST_OPEN_WINDOW", "test-open-window", 0, "test only: shorten Messenger/WhatsApp's 24 h reply window (0 = real)")
	duration(&cfg.TestHumanWindow, "ROUTEDESK_TEST_HUMAN_AGENT_WINDOW", "test-human-agent-window", 0, "test only: shorten Messenger's 7 d human-agent window (0 = real)")
	str(&cfg.OutboundAllowedNetworks, "ROUTEDESK_OUTBOUND_ALLOWED_NETWORKS", "outbound-allowed-networks", "", "internal networks (CIDRs, comma-separated, e.g. 10.20.0.0/16) that channels' SMTP, IMAP and app URLs may reach; others (private, loopback, link-local) are refused; dev adds loopback")
	integer(&cfg.ChatStreamsPerVisitor, "ROUTEDESK_CHAT_STREAMS_PER_VISITOR", "chat-streams-per-visitor", registry.DefaultChatStreamsPerVisitor, "live chat event streams one visitor may hold open at once (more: 429)")
	integer(&cfg.ChatStreamsPerServer, "ROUTEDESK_CHAT_STREAMS_PER_SERVER", "chat-streams-per-server", registry.DefaultChatStreamsPerServer, "live chat event streams one server process holds open at once (more: 429)")
	integer(&cfg.LiveStreamsPerUser, "ROUTEDESK_LIVE_STREAMS_PER_USER", "live-streams-per-user", server.DefaultLiveStreamsPerUser, "agent event streams (GET /v1/events) one user may hold open at once (more: 429)")
	integer(&cfg.LiveStreamsPerServer, "ROUTEDESK_LIVE_STREAMS_PER_SERVER", "live-streams-per-server", server.DefaultLiveStreamsPerServer, "agent event streams one server process holds open at once (more: 429)")
	duration(&cfg.ShutdownTimeout, "ROUTEDESK_SHUTDOWN_TIMEOUT", "shutdown-timeout", 20*time.Second, "how long in-flight requests and activities get to finish on SIGTERM")
	bindScaleOut(fs, cfg, integer, duration)
}

// badEnv collects environment variables that could not be parsed.
var badEnv []string

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

func envInt64(key string, def int64) int64 {
	v, err := strconv.ParseInt(envOr(key, strconv.FormatInt(def, 10)), 10, 64)
	if err != nil {
		badEnv = append(badEnv, fmt.Sprintf("%s=%q is not a whole number", key, os.Getenv(key)))
		return def
	}
	return v
}

// temporalUINamespace is the Temporal UI URL of the configured namespace, or empty.
func temporalUINamespace(cfg *config) string {
	if cfg.TemporalUIURL == "" {
		return ""
	}
	return strings.TrimRight(cfg.TemporalUIURL, "/") + "/namespaces/" + url.PathEscape(cfg.TemporalNamespace)
}

// codecOrigins are the browser origins allowed to call the codec endpoint:
// the Temporal UI's (ROUTEDESK_TEMPORAL_UI_URL) and ROUTEDESK_CODEC_CORS_ORIGINS.
func codecOrigins(cfg *config) []string {
	var out []string
	if u, err := url.Parse(cfg.TemporalUIURL); err == nil && u.Scheme != "" && u.Host != "" {
		out = append(out, u.Scheme+"://"+u.Host)
		if host, port, err := net.SplitHostPort(u.Host); err == nil && (host == "127.0.0.1" || host == "localhost") && cfg.devMode {
			out = append(out, u.Scheme+"://localhost:"+port, u.Scheme+"://127.0.0.1:"+port)
		}
	}
	for _, o := range strings.Split(cfg.CodecOrigins, ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// splitList splits a comma-separated setting into its trimmed, non-empty entries.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// codecEndpoint is the URL of the API's /codec endpoint as a browser on this machine reaches it.
func codecEndpoint(cfg *config) string {
	host, port, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/codec"
}
