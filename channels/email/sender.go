package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/routedesk/routedesk/health"
	"github.com/routedesk/routedesk/internal/egress"
)

// TLS modes of an SMTP relay.
const (
	// TLSStartTLS upgrades the connection with STARTTLS and refuses to send without it (the default).
	TLSStartTLS = "starttls"
	// TLSImplicit connects with TLS from the start (SMTPS, port 465).
	TLSImplicit = "tls"
	// TLSNone sends in clear text; allowed only to loopback hosts.
	TLSNone = "none"
)

// DefaultSMTPTimeout bounds dialling and each SMTP command.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPSettings is an outbound relay.
type SMTPSettings struct {
	// Host is the relay's host name or IP address.
	Host string
	// Port is the relay's TCP port.
	Port int
	// Username authenticates to the relay; empty sends without AUTH.
	Username string
	// Password authenticates to the relay.
	Password string
	// TLS is TLSStartTLS (default), TLSImplicit or TLSNone.
	TLS string
	// Timeout bounds the dial and each command (default DefaultSMTPTimeout).
	Timeout time.Duration
	// TLSConfig overrides the TLS client configuration (e.g. a private CA); nil uses the system roots.
	TLSConfig *tls.Config
	// HELO is the name sent in EHLO; empty uses go-mail's default.
	HELO string
	// Token, when set, authenticates with SASL XOAUTH2 as the account and access token it returns
	// (a mailbox connected through its provider) instead of Username and Password.
	Token TokenFunc
	// TokenRefused is told a token the relay refused, so the next attempt renews it.
	TokenRefused func(ctx context.Context, token string)
}

// Validate checks the settings: host, port, TLS mode, and TLSNone only for loopback hosts.
func (s SMTPSettings) Validate() error {
	if strings.TrimSpace(s.Host) == "" {
		return errors.New("smtp.host is required")
	}
	if s.Port < 1 || s.Port > 65535 {
		return fmt.Errorf("smtp.port %d is not 1-65535", s.Port)
	}
	switch s.TLS {
	case "", TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !IsLoopbackHost(s.Host) {
			return fmt.Errorf("smtp.tls none is allowed only for loopback hosts, not %q", s.Host)
		}
	default:
		return fmt.Errorf("smtp.tls %q is not starttls, tls or none", s.TLS)
	}
	if s.Password != "" && s.Username == "" {
		return errors.New("smtp.username is required when a password is set")
	}
	return nil
}

// IsLoopbackHost reports localhost and loopback IP addresses.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// SendError is a failed send, classified for retries.
type SendError struct {
	// Temporary reports a failure worth retrying: SMTP 4xx, network errors and timeouts.
	Temporary bool
	// Code is the SMTP reply code (0 when the failure was not an SMTP reply).
	Code int
	// Text is the server's reply or the error's text.
	Text string
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (e *SendError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("send mail (%s failure): %s", kind, e.Text)
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// HealthProblem tells what a failed send says about the relay: a recipient
// refused says nothing about it; everything else is described as health.Describe does.
func (e *SendError) HealthProblem() (*health.Problem, bool) {
	var mailErr *mail.SendError
	if errors.As(e.Err, &mailErr) && mailErr.Reason == mail.ErrSMTPRcptTo {
		return nil, false
	}
	if errors.Is(e.Err, ErrInvalidMessage) {
		return nil, false
	}
	if e.Err == nil {
		return &health.Problem{Reason: "SMTP relay: " + e.Text, Permanent: !e.Temporary}, true
	}
	p := health.Describe(health.SMTP, e.Err)
	return p, p != nil
}

// IsTemporary reports whether err is a SendError worth retrying.
func IsTemporary(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Temporary
}

// Sender sends replies through one SMTP relay.
type Sender struct {
	settings SMTPSettings
}

// NewSender validates the settings and returns a Sender.
func NewSender(s SMTPSettings) (*Sender, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.TLS == "" {
		s.TLS = TLSStartTLS
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultSMTPTimeout
	}
	return &Sender{settings: s}, nil
}

// Send composes the reply and delivers it; it returns our Message-ID (without
// angle brackets) so the caller can record it. Failures are *SendError (or
// ErrInvalidMessage, permanent); one call makes one attempt — the caller retries
// temporary failures with backoff. A mail to or from an internationalised
// address (RFC 6531) goes out with SMTPUTF8; a relay that does not offer it is a
// permanent failure that says so.
func (s *Sender) Send(ctx context.Context, id Identity, out Outgoing) (string, error) {
	msg, msgID, err := Compose(id, out)
	if err != nil {
		return "", &SendError{Text: err.Error(), Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, 4*s.settings.Timeout)
	defer cancel()
	client, token, err := s.connectable(ctx)
	if err != nil {
		return "", err
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return msgID, s.dialError(ctx, token, err)
	}
	defer func() { _ = client.CloseWithSMTPClient(conn) }()
	if addr := utf8Address(id, out); addr != "" {
		if ok, _ := conn.Extension("SMTPUTF8"); !ok {
			text := fmt.Sprintf("the address %s needs SMTPUTF8 (internationalised email, RFC 6531) and the relay %s:%d does not offer it",
				addr, s.settings.Host, s.settings.Port)
			return msgID, &SendError{Text: text, Err: ErrSMTPUTF8Unsupported}
		}
	}
	if err := client.SendWithSMTPClient(conn, msg); err != nil {
		return msgID, classifySendError(err)
	}
	return msgID, nil
}

// ErrSMTPUTF8Unsupported is the permanent failure of a mail to an internationalised address through a relay without SMTPUTF8.
var ErrSMTPUTF8Unsupported = errors.New("the relay does not offer SMTPUTF8")

// utf8Address returns the first address of the mail (From or a recipient) that is not ASCII, "" when all are.
func utf8Address(id Identity, out Outgoing) string {
	for _, list := range [][]Address{{{Email: id.Address}}, out.To, out.Cc, out.Bcc} {
		for _, a := range list {
			for i := 0; i < len(a.Email); i++ {
				if a.Email[i] >= 0x80 {
					return a.Email
				}
			}
		}
	}
	return ""
}

// connectable resolves the relay through the egress policy and returns a client pinned to the address
// it allowed, with the mailbox's access token when it has one (returned too); failures are *SendError
// (a refused address is permanent, a failed lookup or a token not renewed for now temporary).
func (s *Sender) connectable(ctx context.Context) (*mail.Client, string, error) {
	addr, err := egress.Resolve(ctx, s.settings.Host)
	if err != nil {
		return nil, "", &SendError{Temporary: !egress.IsBlocked(err), Text: err.Error(), Err: err}
	}
	st := s.settings
	var token string
	if st.Token != nil {
		// The reply waits for a renewed or reconnected grant: it stays retried while the channel's health says why.
		if st.Username, token, _, err = st.Token(ctx); err != nil {
			return nil, "", &SendError{Temporary: true, Text: "the mailbox's access token: " + err.Error(), Err: err}
		}
	}
	client, err := s.client(addr, st, token)
	if err != nil {
		return nil, "", &SendError{Text: err.Error(), Err: err}
	}
	return client, token, nil
}

// dialError classifies a failed dial; a relay refusing the mailbox's access token is told to
// TokenRefused and is temporary: the next attempt logs in with a renewed token.
func (s *Sender) dialError(ctx context.Context, token string, err error) *SendError {
	se := classifySendError(err)
	var tp *textproto.Error
	if token != "" && errors.As(err, &tp) && (tp.Code == 535 || tp.Code == 534 || tp.Code == 530) {
		if s.settings.TokenRefused != nil {
			s.settings.TokenRefused(ctx, token)
		}
		se.Temporary = true
	}
	return se
}

// client connects to addr, the relay's address the egress policy allowed, verifying TLS for its host name;
// a token logs in with XOAUTH2 as st.Username.
func (s *Sender) client(addr string, st SMTPSettings, token string) (*mail.Client, error) {
	tlsConf := st.TLSConfig
	if tlsConf == nil {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConf = tlsConf.Clone()
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = st.Host
	}
	opts := []mail.Option{mail.WithPort(st.Port), mail.WithTimeout(st.Timeout), mail.WithTLSConfig(tlsConf)}
	switch st.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if st.HELO != "" {
		opts = append(opts, mail.WithHELO(st.HELO))
	}
	switch {
	case token != "":
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthXOAUTH2), mail.WithUsername(st.Username), mail.WithPassword(token))
	case st.Username != "":
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(st.Username), mail.WithPassword(st.Password))
	}
	c, err := mail.NewClient(addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client for %s:%d: %w", st.Host, st.Port, err)
	}
	return c, nil
}

// classifySendError maps a go-mail error to a *SendError: SMTP 5xx replies,
// certificate problems and missing STARTTLS are permanent; SMTP 4xx replies,
// network errors and timeouts are temporary.
func classifySendError(err error) *SendError {
	se := &SendError{Temporary: true, Text: err.Error(), Err: err}
	var mailErr *mail.SendError
	var tpErr *textproto.Error
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &mailErr):
		se.Code = mailErr.ErrorCode()
		se.Temporary = mailErr.IsTemp() || se.Code == 0
	case errors.As(err, &tpErr):
		se.Code = tpErr.Code
		se.Text = fmt.Sprintf("%d %s", tpErr.Code, tpErr.Msg)
		se.Temporary = tpErr.Code < 500
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &certErr):
		se.Temporary = false
	case strings.Contains(err.Error(), "STARTTLS"):
		// The relay does not offer STARTTLS and the policy requires it.
		se.Temporary = false
	}
	return se
}
