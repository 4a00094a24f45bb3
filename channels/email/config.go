package email

import (
	"fmt"
	"strings"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/egress"
	"github.com/routedesk/routedesk/internal/mailaddr"
)

// Email providers.
const (
	ProviderGmail     = "gmail"
	ProviderOffice365 = "office365"
	ProviderOther     = "other"
)

// Config is the configuration of a team email channel.
type Config struct {
	// Address is the team address mail arrives at, e.g. support@example.com.
	Address string `json:"address" validate:"required,max=254,email"`
	// Provider is gmail, office365 or other (the default).
	Provider string `json:"provider" validate:"oneof=gmail office365 other"`
	// FromNameMode is agent_and_company or company; unsupported with office365.
	FromNameMode string `json:"from_name_mode,omitempty" validate:"omitempty,oneof=agent_and_company company"`
	// CompanyName is shown in the From name of replies.
	CompanyName string `json:"company_name,omitempty" validate:"max=200,single_line"`
	// Signature is appended to agents' replies.
	Signature *Signature `json:"signature,omitempty"`
	// OriginalSenderForForwards makes a forwarded mail's original sender the contact (default true).
	OriginalSenderForForwards *bool `json:"original_sender_for_forwards"`
	// SMTP is the outbound relay replies are sent through; unset leaves replies failed with a reason.
	SMTP *SMTP `json:"smtp,omitempty"`
	// IMAP is a mailbox the server polls for new mail; unset means mail arrives by SMTP or the raw endpoint.
	IMAP *IMAP `json:"imap,omitempty"`
	// OAuth is set when the mailbox was connected through its provider's consent screen (POST /v1/email/oauth/authorizations):
	// IMAP and SMTP then log in with SASL XOAUTH2 and the provider's access token instead of a password.
	OAuth *OAuth `json:"oauth,omitempty"`
	// ReplyRetrySeconds is how long a reply the channel failed to send temporarily is retried
	// before it is marked failed (0: 24 hours; at most 7 days).
	ReplyRetrySeconds int `json:"reply_retry_seconds,omitempty" validate:"min=0,max=604800"`
}

// IMAP is a mailbox to fetch mail from (Gmail, Office 365 or a hosted account, with an app password).
type IMAP struct {
	// Host is the IMAP server's host name.
	Host string `json:"host" validate:"required,max=253,host"`
	// Port is the IMAP server's TCP port (default 993, or 143 with starttls/none).
	Port int `json:"port,omitempty" validate:"omitempty,min=1,max=65535"`
	// Username logs in.
	Username string `json:"username" validate:"required,max=256,single_line"`
	// Password logs in (an app password); required unless the mailbox is connected through config.oauth.
	Password string `json:"password" secret:"true" validate:"max=1024"`
	// Folder is the mailbox to watch (default INBOX).
	Folder string `json:"folder,omitempty" validate:"max=200,single_line"`
	// TLS is tls (implicit, the default), starttls or none (loopback hosts only).
	TLS string `json:"tls,omitempty" validate:"omitempty,oneof=tls starttls none"`
	// PollIntervalSeconds is how often to look for new mail without IDLE (default 60, 5-3600).
	PollIntervalSeconds int `json:"poll_interval_seconds,omitempty" validate:"omitempty,min=5,max=3600"`
	// MarkRead sets \Seen on imported mail (default off).
	MarkRead bool `json:"mark_read,omitempty"`
	// Delete deletes imported mail from the server (default off).
	Delete bool `json:"delete,omitempty"`
	// IncludeHistory backfills the folder's past mail (the newest HistoryDays days) as history when the channel is connected.
	IncludeHistory bool `json:"include_history,omitempty"`
	// HistoryDays is how many days of past mail a backfill imports (default 30, 1-3650).
	HistoryDays int `json:"history_days,omitempty" validate:"omitempty,min=1,max=3650"`
}

// OAuth is a mailbox connected through its provider: what the consent gave, shown but set only by the callback.
type OAuth struct {
	// Provider is gmail or microsoft365.
	Provider string `json:"provider" validate:"oneof=gmail microsoft365"`
	// Account is the address the provider says the grant belongs to (the channel's address).
	Account string `json:"account" validate:"max=254"`
}

// SMTP is an outbound mail relay.
type SMTP struct {
	// Host is the relay's host name or IP address.
	Host string `json:"host" validate:"required,max=253,host"`
	// Port is the relay's TCP port (1-65535).
	Port int `json:"port" validate:"required,min=1,max=65535"`
	// Username authenticates to the relay; required when Password is set.
	Username string `json:"username,omitempty" validate:"max=256,single_line"`
	// Password authenticates to the relay.
	Password string `json:"password,omitempty" secret:"true" validate:"max=1024"`
	// TLS is starttls (the default), tls (implicit, port 465) or none (loopback hosts only).
	TLS string `json:"tls,omitempty" validate:"omitempty,oneof=starttls tls none"`
}

// SignatureTokens are the tokens a signature body may use.
var SignatureTokens = []string{"full_name", "first_name", "last_name"}

// Type returns Type.
func (*Config) Type() channels.Type { return Type }

// ExternalKey returns the mailbox the address reaches (mailaddr.Mailbox): one channel owns it across accounts.
func (e *Config) ExternalKey() string { return mailaddr.Mailbox(e.Address) }

// ExternalKeyField names config.address.
func (*Config) ExternalKeyField() string { return "config.address" }

// ForwardsUseOriginalSender reports whether a forwarded mail's original sender becomes the contact.
func (e *Config) ForwardsUseOriginalSender() bool {
	return e.OriginalSenderForForwards == nil || *e.OriginalSenderForForwards
}

// ApplyDefaults fills unset optional fields with their defaults.
func (e *Config) ApplyDefaults() {
	if e.Provider == "" {
		e.Provider = ProviderOther
	}
	if e.OriginalSenderForForwards == nil {
		yes := true
		e.OriginalSenderForForwards = &yes
	}
	if e.Signature != nil && e.Signature.Format == "" {
		e.Signature.Format = "text"
	}
}

// Check reports the rules struct tags cannot express.
func (e *Config) Check() []domain.FieldError {
	var errs []domain.FieldError
	if e.Provider == ProviderOffice365 && e.FromNameMode != "" {
		errs = append(errs, domain.FieldError{Field: "config.from_name_mode",
			Message: "office365 does not support from_name_mode; remove it or use provider gmail or other"})
	}
	if e.Signature != nil {
		if err := checkSignatureTokens(e.Signature.Body); err != nil {
			errs = append(errs, domain.FieldError{Field: "config.signature.body", Message: err.Error()})
		}
	}
	if e.SMTP != nil && e.SMTP.Password != "" && e.SMTP.Username == "" {
		errs = append(errs, domain.FieldError{Field: "config.smtp.username", Message: "is required when a password is set"})
	}
	if e.SMTP != nil && e.SMTP.TLS == TLSNone && !IsLoopbackHost(e.SMTP.Host) {
		errs = append(errs, domain.FieldError{Field: "config.smtp.tls",
			Message: "none is allowed only for loopback hosts (localhost, 127.0.0.1, ::1); use starttls or tls"})
	}
	if e.SMTP != nil {
		if err := egress.CheckHost(e.SMTP.Host); err != nil {
			errs = append(errs, domain.FieldError{Field: "config.smtp.host", Message: err.Error()})
		}
	}
	if e.IMAP != nil {
		if err := egress.CheckHost(e.IMAP.Host); err != nil {
			errs = append(errs, domain.FieldError{Field: "config.imap.host", Message: err.Error()})
		}
	}
	if e.OAuth != nil && mailaddr.Mailbox(e.OAuth.Account) != mailaddr.Mailbox(e.Address) {
		errs = append(errs, domain.FieldError{Field: "config.address", Message: fmt.Sprintf(
			"must stay the connected mailbox's address %s (config.oauth.account); to use another mailbox, connect it with its provider's button", truncate(e.OAuth.Account, 254))})
	}
	if e.IMAP != nil && e.IMAP.Password == "" && e.OAuth == nil {
		errs = append(errs, domain.FieldError{Field: "config.imap.password", Message: "is required (or connect the mailbox with Connect Gmail or Connect Microsoft 365)"})
	}
	if e.IMAP != nil && e.IMAP.TLS == TLSNone && !IsLoopbackHost(e.IMAP.Host) {
		errs = append(errs, domain.FieldError{Field: "config.imap.tls",
			Message: "none is allowed only for loopback hosts (localhost, 127.0.0.1, ::1); use tls or starttls"})
	}
	return errs
}

// checkSignatureTokens rejects a {{token}} that is not one of SignatureTokens, and an unclosed "{{".
func checkSignatureTokens(body string) error {
	rest := body
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			return nil
		}
		rest = rest[open+2:]
		end := strings.Index(rest, "}}")
		if end < 0 {
			return fmt.Errorf("has a \"{{\" without a closing \"}}\"; tokens are %s", tokenList())
		}
		name := strings.TrimSpace(rest[:end])
		if !isSignatureToken(name) {
			return fmt.Errorf("uses unknown token {{%s}}; tokens are %s", truncate(name, 40), tokenList())
		}
		rest = rest[end+2:]
	}
}

func isSignatureToken(name string) bool {
	for _, t := range SignatureTokens {
		if name == t {
			return true
		}
	}
	return false
}

func tokenList() string {
	parts := make([]string, len(SignatureTokens))
	for i, t := range SignatureTokens {
		parts[i] = "{{" + t + "}}"
	}
	return strings.Join(parts, ", ")
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// ReplyRetry returns the channel's retry period for replies (0: the default).
func (c *Config) ReplyRetry() time.Duration { return time.Duration(c.ReplyRetrySeconds) * time.Second }

// CannotSend says why the channel cannot send replies: it has no SMTP relay; "" when it has one.
func (e *Config) CannotSend() string {
	if e.SMTP == nil {
		return "has no config.smtp relay to send replies with"
	}
	return ""
}
