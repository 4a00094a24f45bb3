package emailtest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/routedesk/routedesk/channels/email"
)

// TestSMTPAndRawRouteRefuseTheSameMail (issue 22, defect 9): the SMTP
// listener, driven by a real SMTP client, and the raw-mail route apply one
// set of rules: a mail without From (even with an envelope sender), with a
// NUL byte, or whose body claims UTF-8 and is not, is refused by both (554
// 5.6.0 / 422); a proper mail, a Latin-1 one included, is taken by both.
func TestSMTPAndRawRouteRefuseTheSameMail(t *testing.T) {
	addr := make(chan string, 1)
	d := newDesk(t, email.Settings{SMTPAddr: "127.0.0.1:0", OnListening: func(a string) { addr <- a }}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.API.Listen(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	var listener string
	select {
	case listener = <-addr:
	case <-time.After(20 * time.Second):
		t.Fatal("SMTP listener did not start")
	}
	head := func(id string) string {
		return "From: Grace <grace@example.org>\r\nTo: support@acme.test\r\nSubject: Hello\r\nMessage-ID: <" + id + "@example.org>\r\n"
	}
	for _, c := range []struct {
		name, mail string
		refused    bool
	}{
		{"no From", "To: support@acme.test\r\nSubject: Hello\r\nMessage-ID: <nofrom-%s@example.org>\r\n\r\nHello\r\n", true},
		{"NUL in the body", head("nul-%s") + "\r\nHel\x00lo\r\n", true},
		{"NUL in a header", "From: Grace <grace@example.org>\r\nTo: support@acme.test\r\nSubject: He\x00llo\r\nMessage-ID: <nulh-%s@example.org>\r\n\r\nHello\r\n", true},
		{"invalid UTF-8 declared as UTF-8", head("utf8-%s") + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nHello \xff\xfe\xc3\x28 there\r\n", true},
		{"Latin-1 declared", head("latin1-%s") + "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nH\xe4lsningar fr\xe5n G\xf6teborg\r\n", false},
		{"plain", head("plain-%s") + "\r\nHello there\r\n", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			client, err := smtp.Dial(listener)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			err = client.SendMail("grace@example.org", []string{"support@acme.test"},
				strings.NewReader(strings.Replace(c.mail, "%s", "smtp", 1)))
			var se *smtp.SMTPError
			if c.refused {
				if !errors.As(err, &se) || se.Code != 554 {
					t.Fatalf("SMTP: want 554, got %v", err)
				}
			} else if err != nil {
				t.Fatalf("SMTP: %v", err)
			}
			r := d.postRaw(t, strings.Replace(c.mail, "%s", "raw", 1))
			switch {
			case c.refused && r.Status != http.StatusUnprocessableEntity:
				t.Fatalf("raw route: want 422, got %d %s", r.Status, r.Body)
			case !c.refused && r.Status != http.StatusAccepted:
				t.Fatalf("raw route: want 202, got %d %s", r.Status, r.Body)
			}
		})
	}
}
