package testenv

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// Mail is one message a MailSink received.
type Mail struct {
	From string
	To   []string
	Data string
	// UTF8 reports MAIL FROM with SMTPUTF8 (RFC 6531).
	UTF8 bool
}

// MailSink is an SMTP server on loopback that keeps what it receives.
type MailSink struct {
	Addr string
	mu   sync.Mutex
	mail []Mail
}

// NewMailSink starts an SMTP sink for the test (no TLS, no auth).
func NewMailSink(t testing.TB) *MailSink {
	t.Helper()
	sink := &MailSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: sink}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sink
}

// Received returns the messages received so far.
func (s *MailSink) Received() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mail...)
}

type sinkSession struct {
	sink *MailSink
	cur  Mail
}

func (s *sinkSession) Reset()        { s.cur = Mail{} }
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(from string, opts *smtp.MailOptions) error {
	s.cur.From = from
	s.cur.UTF8 = opts != nil && opts.UTF8
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = string(b)
	s.sink.mu.Lock()
	s.sink.mail = append(s.sink.mail, s.cur)
	s.sink.mu.Unlock()
	return nil
}
