package oauthfake

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// memPassword logs the fake's own sessions into imapmemserver once a token is accepted; no client knows it.
const memPassword = "not-for-clients"

// xoauth2Error is the challenge Gmail sends for a refused XOAUTH2 token.
const xoauth2Error = `{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`

// checkToken returns a SASL server for mech that accepts user's currently valid token from p, and calls ok with the user.
func checkToken(p *Provider, mech string, ok func(user string, expiry time.Time) error) sasl.Server {
	if mech == sasl.OAuthBearer {
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			user, expiry, valid := p.MailUser(o.Token)
			if !valid || (o.Username != "" && !strings.EqualFold(o.Username, user)) {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			if err := ok(user, expiry); err != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		})
	}
	return &xoauth2Server{p: p, ok: ok}
}

// xoauth2Server is the server side of SASL XOAUTH2: on a refused token it sends the error challenge, then fails.
type xoauth2Server struct {
	p       *Provider
	ok      func(string, time.Time) error
	refused bool
}

// Next implements sasl.Server.
func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if s.refused {
		return nil, true, errors.New("invalid credentials (XOAUTH2)")
	}
	var user, token string
	for _, part := range strings.Split(string(resp), "\x01") {
		if v, ok := strings.CutPrefix(part, "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(part, "auth=Bearer "); ok {
			token = v
		}
	}
	owner, expiry, valid := s.p.MailUser(token)
	if valid && strings.EqualFold(owner, user) && s.ok(owner, expiry) == nil {
		return nil, true, nil
	}
	s.refused = true
	return []byte(xoauth2Error), false, nil
}

// IMAP is an IMAP server whose one mailbox (the user's INBOX) is opened only with XOAUTH2 or OAUTHBEARER
// and a currently valid access token; a session ends when its token expires, as Exchange Online does.
type IMAP struct {
	Port int
	user *imapmemserver.User
	mu   sync.Mutex
	// logins counts successful logins.
	logins int
}

// NewIMAP starts the IMAP server of user's mailbox at p, offering mechs (XOAUTH2, OAUTHBEARER).
func NewIMAP(t testing.TB, p *Provider, user string, mechs ...string) *IMAP {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(user, memPassword)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	f := &IMAP{user: u}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(conn *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{Session: mem.NewSession(), f: f, p: p, conn: conn, mechs: mechs}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}, imap.CapSASLIR: {}},
		InsecureAuth: true,
		Logger:       slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.Port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return f
}

// Append delivers a mail to the INBOX.
func (f *IMAP) Append(t testing.TB, raw string) {
	t.Helper()
	if _, err := f.user.Append("INBOX", strings.NewReader(raw), &imap.AppendOptions{Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// Logins counts the successful logins so far.
func (f *IMAP) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

// imapSession refuses LOGIN (basic authentication is off) and accepts a token.
type imapSession struct {
	imapserver.Session
	f     *IMAP
	p     *Provider
	conn  *imapserver.Conn
	mechs []string
	timer *time.Timer
}

// Login implements imapserver.Session: refused, as with basic authentication turned off.
func (s *imapSession) Login(string, string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "LOGIN failed: basic authentication is disabled"}
}

// AuthenticateMechanisms implements imapserver.SessionSASL.
func (s *imapSession) AuthenticateMechanisms() []string { return s.mechs }

// Authenticate implements imapserver.SessionSASL.
func (s *imapSession) Authenticate(mech string) (sasl.Server, error) {
	if !contains(s.mechs, mech) {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "unsupported mechanism"}
	}
	return checkToken(s.p, mech, func(user string, expiry time.Time) error {
		if err := s.Session.Login(user, memPassword); err != nil {
			return err
		}
		s.f.mu.Lock()
		s.f.logins++
		s.f.mu.Unlock()
		s.timer = time.AfterFunc(time.Until(expiry), func() { _ = s.conn.NetConn().Close() })
		return nil
	}), nil
}

// Namespace implements imapserver.SessionNamespace (IMAP4rev2) through imapmemserver's session.
func (s *imapSession) Namespace() (*imap.NamespaceData, error) {
	return s.Session.(imapserver.SessionNamespace).Namespace()
}

// Move implements imapserver.SessionMove (IMAP4rev2) through imapmemserver's session.
func (s *imapSession) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	return s.Session.(imapserver.SessionMove).Move(w, numSet, dest)
}

// Close implements imapserver.Session.
func (s *imapSession) Close() error {
	if s.timer != nil {
		s.timer.Stop()
	}
	return s.Session.Close()
}

// Mail is one mail the SMTP server took.
type Mail struct {
	// User is the account whose token authenticated the submission.
	User string
	From string
	To   []string
	Data string
}

// SMTP is a submission server that takes mail only after XOAUTH2 (or OAUTHBEARER) with a currently valid token.
type SMTP struct {
	Port int
	mu   sync.Mutex
	mail []Mail
	// refusals counts refused logins.
	refusals int
}

// NewSMTP starts the submission server of p's mailboxes.
func NewSMTP(t testing.TB, p *Provider) *SMTP {
	t.Helper()
	f := &SMTP{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{f: f, p: p}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.Port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return f
}

// Received returns the mail taken so far.
func (f *SMTP) Received() []Mail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Mail(nil), f.mail...)
}

type smtpSession struct {
	f    *SMTP
	p    *Provider
	user string
	cur  Mail
}

// AuthMechanisms implements smtp.AuthSession.
func (s *smtpSession) AuthMechanisms() []string { return []string{"XOAUTH2", sasl.OAuthBearer} }

// Auth implements smtp.AuthSession.
func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	srv := checkToken(s.p, mech, func(user string, _ time.Time) error { s.user = user; return nil })
	return refusalCounter{Server: srv, f: s.f}, nil
}

type refusalCounter struct {
	sasl.Server
	f *SMTP
}

func (r refusalCounter) Next(resp []byte) ([]byte, bool, error) {
	c, done, err := r.Server.Next(resp)
	if err != nil {
		r.f.mu.Lock()
		r.f.refusals++
		r.f.mu.Unlock()
	}
	return c, done, err
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	s.cur = Mail{User: s.user, From: from}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	s.cur.Data = b.String()
	s.f.mu.Lock()
	s.f.mail = append(s.f.mail, s.cur)
	s.f.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = Mail{} }
func (s *smtpSession) Logout() error { return nil }
