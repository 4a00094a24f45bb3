package emailtest_test

import (
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
)

// listenerDesk is a desk with its SMTP listener running; it returns the listener's address.
func listenerDesk(t *testing.T, config map[string]any) (*desk, string) {
	t.Helper()
	addr := make(chan string, 1)
	d := newDesk(t, email.Settings{SMTPAddr: "127.0.0.1:0", OnListening: func(a string) { addr <- a }}, config)
	return d, d.listenSMTP(t, addr)
}

// TestListMailAndAutoReplyThroughListener: mail that only asks for no automatic
// answers (a Google Group's Precedence: list, Exchange's X-Auto-Response-Suppress),
// delivered by a real SMTP client to the listener, gets 250 and a ticket; an
// auto-reply gets 250, no ticket, and is listed as ignored with its reason.
func TestListMailAndAutoReplyThroughListener(t *testing.T) {
	d, listener := listenerDesk(t, nil)
	for _, h := range []string{"Precedence: list\r\nList-Id: <support.groups.example>", "X-Auto-Response-Suppress: All"} {
		raw := "From: Grace <grace@example.org>\r\nTo: support@acme.test\r\nSubject: " + strings.Fields(h)[0] + "\r\nMessage-ID: <" +
			strings.Fields(h)[0] + "@example.org>\r\n" + h + "\r\n\r\nHello, a question.\r\n"
		if err := smtpSend(listener, "support@acme.test", raw); err != nil {
			t.Fatalf("%s: %v", h, err)
		}
	}
	testenv.Eventually(t, 20*time.Second, "two tickets from list mail", func() bool { return len(d.tickets(t)) == 2 })
	subjects := map[string]bool{}
	for _, tk := range d.tickets(t) {
		subjects[tk.Subject] = true
	}
	if !subjects["Precedence:"] || !subjects["X-Auto-Response-Suppress:"] {
		t.Fatalf("tickets %v", subjects)
	}

	ooo := "From: Grace <grace@example.org>\r\nTo: support@acme.test\r\nSubject: Out of office\r\nMessage-ID: <ooo@example.org>\r\n" +
		"Auto-Submitted: auto-replied\r\n\r\nI am away.\r\n"
	if err := smtpSend(listener, "support@acme.test", ooo); err != nil {
		t.Fatalf("auto-reply refused: %v", err)
	}
	var page struct {
		Items []struct {
			Reason     string `json:"reason"`
			ExternalID string `json:"external_id"`
			Detail     string `json:"detail"`
		} `json:"items"`
	}
	testenv.Eventually(t, 10*time.Second, "the auto-reply listed as ignored", func() bool {
		d.Do(http.MethodGet, "/v1/channels/"+d.channelID+"/ignored", d.agentToken, nil).JSON(t, &page)
		return len(page.Items) == 1
	})
	if it := page.Items[0]; it.Reason != email.IgnoredAutoReply || it.ExternalID != "ooo@example.org" || !strings.Contains(it.Detail, "Auto-Submitted") {
		t.Fatalf("ignored %+v", it)
	}
	if n := len(d.tickets(t)); n != 2 {
		t.Fatalf("%d tickets: the auto-reply made one", n)
	}
}

// TestSMTPUTF8ContactAnsweredThroughDesk: a customer with an internationalised
// address writes in through the listener over SMTPUTF8, keeps that address as
// the contact's, and the agent's answer reaches the relay with SMTPUTF8 and the
// address as the envelope recipient and To.
func TestSMTPUTF8ContactAnsweredThroughDesk(t *testing.T) {
	d, listener := listenerDesk(t, nil)
	c, err := smtp.Dial(listener)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("jörg@münchen.example", &smtp.MailOptions{UTF8: true}); err != nil {
		t.Fatalf("SMTPUTF8 sender: %v", err)
	}
	if err := c.Rcpt("support@acme.test", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("From: Jörg Groß <jörg@münchen.example>\r\nTo: support@acme.test\r\nSubject: Grüße\r\nMessage-ID: <idn@münchen.example>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nWo bleibt meine Bestellung?\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var tk domain.Ticket
	testenv.Eventually(t, 20*time.Second, "the ticket", func() bool {
		tks := d.tickets(t)
		if len(tks) == 1 {
			tk = tks[0]
		}
		return len(tks) == 1
	})
	if got := d.contactEmail(t, tk); got != "jörg@münchen.example" {
		t.Fatalf("contact %q", got)
	}
	rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Ihre Bestellung ist unterwegs."})
	if rep.Status != http.StatusCreated {
		t.Fatalf("reply: %d %s", rep.Status, rep.Body)
	}
	got, parsed := d.sent(t, "unterwegs")
	if !got.UTF8 || len(got.To) != 1 || got.To[0] != "jörg@münchen.example" {
		t.Fatalf("relay got envelope to %v, SMTPUTF8 %v", got.To, got.UTF8)
	}
	if len(parsed.To) != 1 || parsed.To[0].Email != "jörg@münchen.example" || !strings.HasPrefix(parsed.Subject, "Re: Grüße") {
		t.Fatalf("To %+v, subject %q", parsed.To, parsed.Subject)
	}
	if m := d.outbound(t, tk.ID, 20*time.Second, domain.MessageSent, domain.MessageFailed); m.Status != domain.MessageSent {
		t.Fatalf("reply %s: %s", m.Status, m.FailureReason)
	}
}

// stallingRelay accepts TCP connections and never says a word (no SMTP greeting).
func stallingRelay(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// TestReplyRelayStallsEndsRetrying: a relay that accepts the connection and never
// answers does not hold the reply queued forever: the attempt times out and the
// reply shows retrying with the reason and its next attempt, and the relay degraded.
func TestReplyRelayStallsEndsRetrying(t *testing.T) {
	host, port := splitHostPort(t, stallingRelay(t))
	d := newDesk(t, email.Settings{}, map[string]any{"smtp": map[string]any{"host": host, "port": port, "tls": "none"}})
	tk := d.ticketOf(t, d.postRaw(t, firstMail).Map(t)["conversation_id"].(string))
	rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Hello through a stalled relay"})
	if rep.Status != http.StatusCreated {
		t.Fatalf("reply: %d %s", rep.Status, rep.Body)
	}
	m := d.outbound(t, tk.ID, 90*time.Second, domain.MessageRetrying, domain.MessageFailed, domain.MessageSent)
	if m.Status != domain.MessageRetrying || m.FailureReason == "" || m.NextAttemptAt == nil || m.Attempts < 1 {
		t.Fatalf("reply %s after %d attempts (%q, next %v), want retrying with a reason and a next attempt", m.Status, m.Attempts, m.FailureReason, m.NextAttemptAt)
	}
	testenv.Eventually(t, 20*time.Second, "the relay degraded", func() bool { return d.channelHealth(t)["state"] != "ok" })
	if reason, _ := d.channelHealth(t)["reason"].(string); !strings.Contains(reason, "SMTP relay") {
		t.Fatalf("health reason %q", reason)
	}
}
