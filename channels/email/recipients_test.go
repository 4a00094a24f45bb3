package email

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestSendSMTPUTF8: a reply to an internationalised address goes out with
// SMTPUTF8 and the address in UTF-8 when the relay offers it; through a relay
// that does not, it fails for good with a reason that says so.
func TestSendSMTPUTF8(t *testing.T) {
	out := reply()
	out.To = []Address{{Name: "Jörg", Email: "jörg@münchen.example"}}

	s := startSink(t, nil, false)
	s.srv.EnableSMTPUTF8 = true
	sender, err := NewSender(loopbackSettings(s, t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sender.Send(context.Background(), acme, out); err != nil {
		t.Fatal(err)
	}
	got := s.messages()
	if len(got) != 1 || !got[0].utf8 || strings.Join(got[0].to, ",") != "jörg@münchen.example" {
		t.Fatalf("sink received %+v", got)
	}
	m, err := Parse(got[0].raw)
	if err != nil || len(m.To) != 1 || m.To[0].Email != "jörg@münchen.example" || m.To[0].Name != "Jörg" {
		t.Fatalf("To %+v %v", m.To, err)
	}

	plain := startSink(t, nil, false)
	sender, err = NewSender(loopbackSettings(plain, t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = sender.Send(context.Background(), acme, out)
	var se *SendError
	if !errors.As(err, &se) || se.Temporary || !errors.Is(err, ErrSMTPUTF8Unsupported) || !strings.Contains(se.Text, "jörg@münchen.example needs SMTPUTF8") {
		t.Fatalf("relay without SMTPUTF8: %v", err)
	}
	if n := len(plain.messages()); n != 0 {
		t.Fatalf("relay without SMTPUTF8 received %d mails", n)
	}
	// An ASCII reply through the same relay goes out as before.
	if _, err := sender.Send(context.Background(), acme, reply()); err != nil || len(plain.messages()) != 1 || plain.messages()[0].utf8 {
		t.Fatalf("ASCII reply: %v %+v", err, plain.messages())
	}
}

// TestSendCcAndBcc: Cc recipients are in the header and the envelope, Bcc recipients in the envelope only.
func TestSendCcAndBcc(t *testing.T) {
	s := startSink(t, nil, false)
	sender, err := NewSender(loopbackSettings(s, t))
	if err != nil {
		t.Fatal(err)
	}
	out := reply()
	out.Cc = []Address{{Name: "Ops", Email: "ops@example.org"}}
	out.Bcc = []Address{{Email: "audit@acme.test"}}
	if _, err := sender.Send(context.Background(), acme, out); err != nil {
		t.Fatal(err)
	}
	got := s.messages()[0]
	if strings.Join(got.to, ",") != "grace@example.org,ops@example.org,audit@acme.test" {
		t.Errorf("envelope recipients %v", got.to)
	}
	if cc := headerOf(got.raw, "Cc"); !strings.Contains(cc, "ops@example.org") {
		t.Errorf("Cc %q", cc)
	}
	if strings.Contains(string(got.raw), "audit@acme.test") {
		t.Errorf("the Bcc recipient shows in the mail:\n%s", got.raw)
	}
}

// TestSignatureDelimiterOnce: a text signature gets the "-- " delimiter line
// once, whether or not its body (as docs/channels/email.md's example) starts with one.
func TestSignatureDelimiterOnce(t *testing.T) {
	for _, body := range []string{"-- \n{{full_name}}, Acme Support", "{{full_name}}, Acme Support", "--\n{{full_name}}, Acme Support"} {
		id := Identity{Address: "support@acme.test", Signature: &Signature{Format: "text", Body: body}}
		text, _ := id.bodies(Outgoing{Text: "It ships today.", Agent: ada})
		if want := "It ships today.\n\n-- \nAda Lovelace, Acme Support"; text != want {
			t.Errorf("signature %q: text %q, want %q", body, text, want)
		}
	}
}
