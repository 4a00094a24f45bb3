package email

import (
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestListenerLongLines: a mail with lines far over 2,000 characters (HTML on
// one line, as many mailers send it) is accepted and stored whole, not refused with 554.
func TestListenerLongLines(t *testing.T) {
	in := &testInbox{teams: map[string]string{"support@acme.test": "ch-1"}}
	l := startListener(t, ListenerConfig{MaxBytes: 1 << 20}, in)
	c, err := smtp.Dial(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line := "<p>" + strings.Repeat("Where is my order? ", 2000) + "</p>"
	body := "From: Grace <grace@example.org>\r\nTo: support@acme.test\r\nSubject: Long\r\nMessage-ID: <long@example.org>\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" + line + "\r\n"
	if err := deliver(t, c, "grace@example.org", []string{"support@acme.test"}, body); err != nil {
		t.Fatalf("a %d-character line: %v", len(line), err)
	}
	got := in.deliveries()
	if len(got) != 1 || !strings.Contains(string(got[0].Raw), line) {
		t.Fatalf("stored %d deliveries", len(got))
	}
}

// TestListenerSMTPUTF8: the listener offers SMTPUTF8 and takes an
// internationalised sender in the envelope and the headers.
func TestListenerSMTPUTF8(t *testing.T) {
	in := &testInbox{teams: map[string]string{"support@acme.test": "ch-1"}}
	l := startListener(t, ListenerConfig{}, in)
	c, err := smtp.Dial(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("SMTPUTF8"); !ok {
		t.Fatal("SMTPUTF8 not offered")
	}
	if err := c.Mail("jörg@münchen.example", &smtp.MailOptions{UTF8: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("support@acme.test", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("From: Jörg Groß <jörg@münchen.example>\r\nTo: support@acme.test\r\nSubject: Grüße\r\nMessage-ID: <u1@münchen.example>\r\n\r\nHallo\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := in.deliveries()
	if len(got) != 1 || got[0].MailFrom != "jörg@münchen.example" {
		t.Fatalf("deliveries %+v", got)
	}
	m, err := Parse(got[0].Raw)
	if err != nil || m.From.Email != "jörg@münchen.example" || m.From.Name != "Jörg Groß" || m.Subject != "Grüße" {
		t.Fatalf("parsed %+v %v", m.From, err)
	}
}
