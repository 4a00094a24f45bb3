package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/routedesk/routedesk/domain"
)

// testInbox routes team addresses to channel ids and keeps what is stored.
type testInbox struct {
	teams map[string]string // team address -> channel id

	mu     sync.Mutex
	stored []Delivery
	// hold, when set, blocks Store until it is closed; storing is signalled first.
	hold    chan struct{}
	storing chan struct{}
	failErr error
}

func (in *testInbox) ChannelsFor(_ context.Context, address string) ([]string, error) {
	var ids []string
	for team, id := range in.teams {
		if _, ok := MatchTeamAddress(address, team); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func (in *testInbox) Store(ctx context.Context, d Delivery) error {
	if in.storing != nil {
		in.storing <- struct{}{}
	}
	if in.hold != nil {
		select {
		case <-in.hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if in.failErr != nil {
		return in.failErr
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.stored = append(in.stored, d)
	return nil
}

func (in *testInbox) deliveries() []Delivery {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Delivery(nil), in.stored...)
}

func startListener(t *testing.T, cfg ListenerConfig, in *testInbox) *Listener {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	l, err := Listen(cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = l.Close(ctx)
	})
	return l
}

const testMail = "From: Grace <grace@example.org>\r\nTo: support@acme.test\r\nSubject: Hello\r\nMessage-ID: <m1@example.org>\r\n\r\nWhere is my order?\r\n"

// deliver sends one mail with a real SMTP client and returns the error of the step that failed.
func deliver(t *testing.T, c *smtp.Client, from string, to []string, body string) error {
	t.Helper()
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return err
	}
	return w.Close()
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestListenerAcceptsAndStores(t *testing.T) {
	in := &testInbox{teams: map[string]string{"support@acme.test": "ch-1", "sales@acme.test": "ch-2"}}
	l := startListener(t, ListenerConfig{}, in)
	c, err := smtp.Dial(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = deliver(t, c, "grace@example.org", []string{"Support+T-42@ACME.test", "sales@acme.test", "support@acme.test"}, testMail)
	if err != nil {
		t.Fatal(err)
	}
	got := in.deliveries()
	if len(got) != 1 {
		t.Fatalf("stored %d deliveries", len(got))
	}
	d := got[0]
	if strings.Join(d.ChannelIDs, ",") != "ch-1,ch-2" || len(d.Recipients) != 3 || d.MailFrom != "grace@example.org" {
		t.Errorf("delivery = %+v", d)
	}
	m, err := Parse(d.Raw)
	if err != nil || m.MessageID != "m1@example.org" || m.NewText != "Where is my order?" {
		t.Errorf("stored mail parses to %+v, %v", m, err)
	}
}

func TestListenerRefusesUnknownRecipient(t *testing.T) {
	in := &testInbox{teams: map[string]string{"support@acme.test": "ch-1"}}
	l := startListener(t, ListenerConfig{}, in)
	c, err := smtp.Dial(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("grace@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("nobody@acme.test", nil); smtpCode(err) != 550 {
		t.Errorf("unknown recipient: %v, want 550", err)
	}
	if err := c.Rcpt("support@other.test", nil); smtpCode(err) != 550 {
		t.Errorf("other domain: %v, want 550", err)
	}
	if err := c.Rcpt("support@acme.test", nil); err != nil {
		t.Errorf("known recipient after a refused one: %v", err)
	}
}

func TestListenerSizeLimit(t *testing.T) {
	in := &testInbox{teams: map[string]string{"support@acme.test": "ch-1"}}
	l := startListener(t, ListenerConfig{MaxBytes: 1024}, in)
	c, err := smtp.Dial(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big := testMail + strings.Repeat("0123456789abcdef\r\n", 200)
	if err := deliver(t, c, "grace@example.org", []string{"support@acme.test"}, big); smtpCode(err) != 552 {
		t.Errorf("oversized mail: %v, want 552", err)
	}
	if len(in.deliveries()) != 0 {
		t.Error("an oversized mail was stored")
	}
	// The declared SIZE is refused at MAIL FROM already.
	c2, err := smtp.Dial(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Mail("grace@example.org", &smtp.MailOptions{Size: 4096}); smtpCode(err) != 552 {
		t.Errorf("MAIL FROM SIZE=4096: %v, want 552", err)
	}
}

func TestListenerAnswers250OnlyAfterStoring(t *testing.T) {
	in := &testInbox{teams: map[string]string{"support@acme.test": "ch-1"},
		hold: make(chan struct{}), storing: make(chan struct{}, 1)}
	l := startListener(t, ListenerConfig{}, in)
	c, err := smtp.Dial(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan error, 1)
	go func() { done <- deliver(t, c, "grace@example.org", []string{"support@acme.test"}, testMail) }()
	<-in.storing
	select {
	case err := <-done:
		t.Fatalf("the client got its answer (%v) while the mail was still being stored", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(in.hold)
	if err := <-done; err != nil {
		t.Fatalf("after storing: %v", err)
	}
	if len(in.deliveries()) != 1 {
		t.Error("not stored")
	}
}

func TestListenerStoreFailureIsTemporary(t *testing.T) {
	in := &testInbox{teams: map[string]string{"support@acme.test": "ch-1"}, failErr: errors.New("database down")}
	l := startListener(t, ListenerConfig{}, in)
	c, err := smtp.Dial(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := deliver(t, c, "grace@example.org", []string{"support@acme.test"}, testMail); smtpCode(err) != 451 {
		t.Errorf("store failure: %v, want 451 so the sender retries", err)
	}
}

// TestListenerOverIntakeLimitIsTemporary: a mail refused by the intake limit
// (too many messages waiting to be ticketed) is answered 451 4.3.2, so the
// sending server keeps it and retries, and nothing is stored.
func TestListenerOverIntakeLimitIsTemporary(t *testing.T) {
	in := &testInbox{teams: map[string]string{"support@acme.test": "ch-1"},
		failErr: fmt.Errorf("deliver: %w", &domain.Overloaded{Message: "busy", RetryAfter: 3 * time.Second})}
	l := startListener(t, ListenerConfig{}, in)
	c, err := smtp.Dial(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = deliver(t, c, "grace@example.org", []string{"support@acme.test"}, testMail)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 451 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 2}) {
		t.Fatalf("over the intake limit: %v, want 451 4.3.2", err)
	}
	if got := len(in.deliveries()); got != 0 {
		t.Errorf("%d deliveries stored, want none", got)
	}
}

func TestListenerMaxRecipients(t *testing.T) {
	in := &testInbox{teams: map[string]string{"support@acme.test": "ch-1"}}
	l := startListener(t, ListenerConfig{MaxRecipients: 2}, in)
	c, err := smtp.Dial(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = deliver(t, c, "grace@example.org", []string{"support@acme.test", "support+a@acme.test", "support+b@acme.test"}, testMail)
	if smtpCode(err) != 452 {
		t.Errorf("third recipient: %v, want 452", err)
	}
}

func TestListenerStartTLS(t *testing.T) {
	cert, pool := testCert(t)
	in := &testInbox{teams: map[string]string{"support@acme.test": "ch-1"}}
	l := startListener(t, ListenerConfig{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}, in)
	c, err := smtp.DialStartTLS(l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.TLSConnectionState(); !ok {
		t.Fatal("not upgraded to TLS")
	}
	if err := deliver(t, c, "grace@example.org", []string{"support@acme.test"}, testMail); err != nil {
		t.Fatal(err)
	}
	// Without a certificate there is no STARTTLS.
	plain := startListener(t, ListenerConfig{}, in)
	c2, err := smtp.Dial(plain.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c2.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered without a certificate")
	}
}

func TestListenerClose(t *testing.T) {
	in := &testInbox{teams: map[string]string{"support@acme.test": "ch-1"}}
	l, err := Listen(ListenerConfig{Addr: "127.0.0.1:0"}, in)
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if c, err := smtp.Dial(addr); err == nil {
		_ = c.Close()
		t.Error("still accepting after Close")
	}
}
