package emailtest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/workflows"
)

// TestSMTPListenerDelivers: a real SMTP client delivers to the listener; plus-addressing
// matches, an unknown recipient is refused with 550 at RCPT, an oversized mail with 552.
func TestSMTPListenerDelivers(t *testing.T) {
	addr := make(chan string, 1)
	d := newDesk(t, email.Settings{SMTPAddr: "127.0.0.1:0", SMTPMaxBytes: 8 << 10,
		OnListening: func(a string) { addr <- a }}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.API.Listen(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	var listener string
	select {
	case listener = <-addr:
	case <-time.After(10 * time.Second):
		t.Fatal("SMTP listener did not start")
	}
	c, err := smtp.Dial(listener)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("grace@example.org", nil); err != nil {
		t.Fatal(err)
	}
	err = c.Rcpt("nobody@acme.test", nil)
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 550 {
		t.Fatalf("unknown recipient: %v", err)
	}
	if err := c.Rcpt("Support+billing@ACME.test", nil); err != nil {
		t.Fatalf("plus-address: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte(strings.Replace(firstMail, "order-1@", "smtp-1@", 1)))
	if err := w.Close(); err != nil {
		t.Fatalf("DATA: %v", err)
	}
	// Stored before 250: the message is there now.
	var l struct{ Items []domain.Ticket }
	testenv.Eventually(t, 20*time.Second, "the SMTP mail's ticket", func() bool {
		d.Do(http.MethodGet, "/v1/tickets", d.token, nil).JSON(t, &l)
		return len(l.Items) == 1
	})
	if got := d.contactEmail(t, l.Items[0]); got != "grace@example.org" {
		t.Fatalf("contact %q", got)
	}
	big := strings.Replace(firstMail, "order-1@", "big@", 1) + strings.Repeat("0123456789abcdef\r\n", 500)
	err = c.SendMail("grace@example.org", []string{"support@acme.test"}, strings.NewReader(big))
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 552 {
		t.Fatalf("oversized mail: %v", err)
	}
	c2, err := smtp.Dial(listener)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	err = c2.Mail("grace@example.org", &smtp.MailOptions{Size: 9 << 10})
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 552 {
		t.Fatalf("MAIL FROM SIZE over the limit: %v", err)
	}
}

// relay is an SMTP server whose first answers to RCPT are the given codes (0: accept), then accepts.
type relay struct {
	mu       sync.Mutex
	answers  []int
	attempts int
	got      int
}

func startRelay(t *testing.T, answers ...int) (*relay, string) {
	t.Helper()
	r := &relay{answers: answers}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }))
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r, ln.Addr().String()
}

type relaySession struct{ r *relay }

func (s *relaySession) Reset()                               {}
func (s *relaySession) Logout() error                        { return nil }
func (s *relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *relaySession) Data(r io.Reader) error {
	_, _ = io.Copy(io.Discard, r)
	s.r.mu.Lock()
	s.r.got++
	s.r.mu.Unlock()
	return nil
}
func (s *relaySession) Rcpt(string, *smtp.RcptOptions) error {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.attempts++
	if len(s.r.answers) == 0 || s.r.answers[0] == 0 {
		return nil
	}
	code := s.r.answers[0]
	s.r.answers = s.r.answers[1:]
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: fmt.Sprintf("mailbox says %d", code)}
}

// TestReplySMTPFailures: a 4xx from the relay is retried until the reply is
// sent; a 5xx ends the reply failed with the server's text, without retrying.
func TestReplySMTPFailures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answers  []int
		status   string
		attempts int
	}{
		{"temporary then sent", []int{451, 0}, domain.MessageSent, 2},
		{"permanent", []int{550}, domain.MessageFailed, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rl, addr := startRelay(t, tc.answers...)
			host, port := splitHostPort(t, addr)
			d := newDesk(t, email.Settings{}, map[string]any{"smtp": map[string]any{"host": host, "port": port, "tls": "none"}})
			r := d.postRaw(t, firstMail)
			tk := d.ticketOf(t, r.Map(t)["conversation_id"].(string))
			rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Hello"})
			// A refusal on the first attempt is answered 201 with the reply failed, as on every channel.
			if rep.Status != http.StatusCreated {
				t.Fatalf("reply: %d %s", rep.Status, rep.Body)
			}
			var out domain.Message
			testenv.Eventually(t, 30*time.Second, "the reply "+tc.status, func() bool {
				for _, m := range d.messages(t, tk.ID) {
					if m.Direction == "outbound" && m.Status == tc.status {
						out = m
						return true
					}
				}
				return false
			})
			testenv.WorkflowClosed(t, d.Temporal, workflows.DeliveryWorkflowID(out.ID, 0), 10*time.Second)
			rl.mu.Lock()
			defer rl.mu.Unlock()
			if rl.attempts != tc.attempts {
				t.Fatalf("%d attempts, want %d", rl.attempts, tc.attempts)
			}
			if tc.status == domain.MessageFailed && !strings.Contains(out.FailureReason, "mailbox says 550") {
				t.Fatalf("failure reason %q", out.FailureReason)
			}
		})
	}
}
