package emailtest_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestIMAPEightBitMail: mail appended over IMAP with raw Latin-1 and Windows-1252
// From and Subject (no MIME declaration), and a UTF-8 body without Content-Type,
// becomes tickets whose contacts, subjects and texts read right, and a reply reaches the sender.
func TestIMAPEightBitMail(t *testing.T) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("support@acme.test", "app-password")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps: imap.CapSet{imap.CapIMAP4rev1: {}}, InsecureAuth: true,
		Logger: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	d := newDesk(t, email.Settings{IMAP: true, Rescan: 200 * time.Millisecond}, map[string]any{"imap": map[string]any{
		"host": "127.0.0.1", "port": ln.Addr().(*net.TCPAddr).Port, "username": "support@acme.test",
		"password": "app-password", "tls": "none", "poll_interval_seconds": 5}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.API.Listen(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	testenv.Eventually(t, 20*time.Second, "the first sync", func() bool {
		st, err := d.Store.LoadIMAPState(context.Background(), d.channelID)
		return err == nil && st.UIDValidity != 0
	})
	mails := []string{
		"From: J\xfcrgen M\xfcller <juergen@example.de>\r\nTo: support@acme.test\r\nSubject: Gr\xfc\xdfe aus K\xf6ln\r\nMessage-ID: <latin1@example.de>\r\n\r\nHallo, die Lieferung f\xfcr K\xf6ln fehlt.\r\n",
		"From: \x93Caf\xe9\x94 Dupont <cafe@example.fr>\r\nTo: support@acme.test\r\nSubject: Prix \x80 10 \x96 caf\xe9\r\nMessage-ID: <cp1252@example.fr>\r\n\r\nCa co\xfbte 10\x80 \x96 merci\r\n",
		"From: Zo\xc3\xab <zoe@example.org>\r\nTo: support@acme.test\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\nMessage-ID: <utf8@example.org>\r\n\r\nSch\xc3\xb6ne Gr\xc3\xbc\xc3\x9fe \xe2\x80\x94 Zo\xc3\xab\r\n",
	}
	for _, raw := range mails {
		if _, err := user.Append("INBOX", strings.NewReader(raw), &imap.AppendOptions{Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 30*time.Second, "three tickets", func() bool { return len(d.tickets(t)) == 3 })
	want := map[string]struct{ contact, text string }{
		"Grüße aus Köln":   {"juergen@example.de", "Hallo, die Lieferung für Köln fehlt."},
		"Prix € 10 – café": {"cafe@example.fr", "Ca coûte 10€ – merci"},
		"Grüße":            {"zoe@example.org", "Schöne Grüße — Zoë"},
	}
	for _, tk := range d.tickets(t) {
		w, ok := want[tk.Subject]
		if !ok {
			t.Errorf("ticket subject %q", tk.Subject)
			continue
		}
		if got := d.contactEmail(t, tk); got != w.contact {
			t.Errorf("%q: contact %q", tk.Subject, got)
		}
		if msgs := d.messages(t, tk.ID); len(msgs) != 1 || msgs[0].Text != w.text {
			t.Errorf("%q: messages %+v", tk.Subject, msgs)
		}
		if tk.Subject == "Grüße aus Köln" {
			if rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Die Lieferung kommt."}); rep.Status >= 300 {
				t.Fatalf("reply: %d %s", rep.Status, rep.Body)
			}
			sent, parsed := d.sent(t, "Die Lieferung kommt.")
			if strings.Join(sent.To, ",") != "juergen@example.de" || !strings.HasPrefix(parsed.Subject, "Re: Grüße aus Köln") {
				t.Errorf("reply to %v, subject %q", sent.To, parsed.Subject)
			}
		}
	}
}

// TestSMTPListenerRealMail: over SMTP the listener takes a line far over 2,000
// characters and an internationalised sender (SMTPUTF8), whose address the contact keeps.
func TestSMTPListenerRealMail(t *testing.T) {
	addr := make(chan string, 1)
	d := newDesk(t, email.Settings{SMTPAddr: "127.0.0.1:0", OnListening: func(a string) { addr <- a }}, nil)
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
	long := "<p>" + strings.Repeat("My order has not arrived. ", 400) + "</p>"
	c, err := smtp.Dial(listener)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.SendMail("grace@example.org", []string{"support@acme.test"}, strings.NewReader(
		"From: Grace <grace@example.org>\r\nTo: support@acme.test\r\nSubject: long\r\nMessage-ID: <long@example.org>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"+long+"\r\n"))
	if err != nil {
		t.Fatalf("a %d-character line: %v", len(long), err)
	}
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
	_, _ = w.Write([]byte("From: Jörg Groß <jörg@münchen.example>\r\nTo: support@acme.test\r\nSubject: Grüße\r\nMessage-ID: <idn@münchen.example>\r\n\r\nHallo\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "two tickets", func() bool { return len(d.tickets(t)) == 2 })
	for _, tk := range d.tickets(t) {
		switch tk.Subject {
		case "long":
			if msgs := d.messages(t, tk.ID); len(msgs) != 1 || !strings.Contains(msgs[0].HTML, strings.Repeat("My order has not arrived. ", 400)) {
				t.Errorf("the long line was not kept whole")
			}
		case "Grüße":
			if got := d.contactEmail(t, tk); got != "jörg@münchen.example" {
				t.Errorf("contact %q", got)
			}
		default:
			t.Errorf("ticket %q", tk.Subject)
		}
	}
}
