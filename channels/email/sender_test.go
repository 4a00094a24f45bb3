package email

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/routedesk/routedesk/internal/egress"
)

var acme = Identity{
	Address:      "support@acme.test",
	FromNameMode: FromNameAgentAndCompany,
	CompanyName:  "Acme",
	Signature:    &Signature{Format: "text", Body: "{{full_name}}\nAcme support — {{first_name}} {{ last_name }}"},
}

var ada = Agent{FullName: "Ada Lovelace"}

func reply() Outgoing {
	return Outgoing{
		To:              []Address{{Name: "Grace Hopper", Email: "grace@example.org"}},
		OriginalSubject: "Re: Where is my order?",
		TicketRef:       "1042",
		ReplyToRef:      "1042",
		Text:            "Hi Grace,\n\nit ships tomorrow.",
		Agent:           ada,
		InReplyTo:       "CAB1x2y3=reply@mail.gmail.com",
		References:      []string{"first@example.org"},
	}
}

func loopbackSettings(s *sink, t *testing.T) SMTPSettings {
	return SMTPSettings{Host: "127.0.0.1", Port: s.port(t), TLS: TLSNone, Timeout: 5 * time.Second}
}

func TestSendReplyArrivesAtSink(t *testing.T) {
	s := startSink(t, nil, false)
	sender, err := NewSender(loopbackSettings(s, t))
	if err != nil {
		t.Fatal(err)
	}
	msgID, err := sender.Send(context.Background(), acme, reply())
	if err != nil {
		t.Fatal(err)
	}
	got := s.messages()
	if len(got) != 1 {
		t.Fatalf("sink received %d messages", len(got))
	}
	if got[0].from != "support@acme.test" || strings.Join(got[0].to, ",") != "grace@example.org" {
		t.Errorf("envelope = %s -> %v", got[0].from, got[0].to)
	}
	raw := got[0].raw
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.From != (Address{Name: "Ada Lovelace, Acme", Email: "support@acme.test"}) {
		t.Errorf("From = %+v", m.From)
	}
	if !strings.Contains(headerOf(raw, "From"), `"Ada Lovelace, Acme"`) {
		t.Errorf("From header %q: the comma must be quoted", headerOf(raw, "From"))
	}
	if m.MessageID != msgID || !strings.HasSuffix(msgID, "@acme.test") {
		t.Errorf("Message-ID = %q, Send returned %q", m.MessageID, msgID)
	}
	if m.Subject != "Re: Where is my order? [#T-1042]" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if len(m.InReplyTo) != 1 || m.InReplyTo[0] != "CAB1x2y3=reply@mail.gmail.com" ||
		strings.Join(m.References, " ") != "first@example.org CAB1x2y3=reply@mail.gmail.com" {
		t.Errorf("threading: In-Reply-To %q References %q", m.InReplyTo, m.References)
	}
	if len(m.ReplyTo) != 1 || m.ReplyTo[0].Email != "support+T-1042@acme.test" {
		t.Errorf("Reply-To = %+v", m.ReplyTo)
	}
	if want := "it ships tomorrow.\n\n-- \nAda Lovelace\nAcme support — Ada Lovelace"; !strings.Contains(m.Text, want) {
		t.Errorf("text %q lacks the rendered signature %q", m.Text, want)
	}
	if m.HTML != "" || strings.Contains(headerOf(raw, "Content-Type"), "multipart") {
		t.Errorf("a text-only reply became multipart: %s", headerOf(raw, "Content-Type"))
	}
	if h := headerOf(raw, "Auto-Submitted"); h != "" {
		t.Errorf("an agent's reply has Auto-Submitted: %q", h)
	}
	if m.Kind != KindNormal {
		t.Errorf("our own reply classifies as %s", m.Kind)
	}
}

func TestSendHTMLSignatureAndAutomated(t *testing.T) {
	s := startSink(t, nil, false)
	sender, err := NewSender(loopbackSettings(s, t))
	if err != nil {
		t.Fatal(err)
	}
	id := acme
	id.FromNameMode = FromNameCompany
	id.Signature = &Signature{Format: "html", Body: `<p><b>{{full_name}}</b></p><script>x()</script>`}
	out := reply()
	out.Agent = Agent{FullName: "<Ada> Lovelace"}
	out.HTML = `<p>Hi <i>Grace</i></p><img src=x onerror=alert(1)>`
	out.Automated = true
	if _, err := sender.Send(context.Background(), id, out); err != nil {
		t.Fatal(err)
	}
	raw := s.messages()[0].raw
	if ct := headerOf(raw, "Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
	if h := headerOf(raw, "Auto-Submitted"); h != "auto-replied" {
		t.Errorf("Auto-Submitted = %q", h)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.From.Name != "Acme" {
		t.Errorf("company mode From name = %q", m.From.Name)
	}
	if !strings.Contains(m.HTML, "<b>&lt;Ada&gt; Lovelace</b>") || !strings.Contains(m.HTML, "<i>Grace</i>") {
		t.Errorf("HTML part lacks body or escaped signature: %s", m.HTML)
	}
	for _, bad := range []string{"<script", "onerror", "x()"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML part not sanitised (%q): %s", bad, m.HTML)
		}
	}
	if !strings.Contains(m.Text, "-- \n") || !strings.Contains(m.Text, "<Ada> Lovelace") {
		t.Errorf("text part lacks the signature: %q", m.Text)
	}
}

func TestFromName(t *testing.T) {
	cases := []struct {
		mode, company, agent, want string
	}{
		{FromNameAgentAndCompany, "Acme", "Ada Lovelace", "Ada Lovelace, Acme"},
		{FromNameAgentAndCompany, "", "Ada Lovelace", "Ada Lovelace"},
		{FromNameAgentAndCompany, "Acme", "", "Acme"},
		{FromNameCompany, "Acme", "Ada Lovelace", "Acme"},
		{FromNameCompany, "", "Ada Lovelace", "Ada Lovelace"},
		{"", "Acme", "Ada Lovelace", "Ada Lovelace"},
	}
	for _, c := range cases {
		id := Identity{FromNameMode: c.mode, CompanyName: c.company}
		if got := id.FromName(Agent{FullName: c.agent}); got != c.want {
			t.Errorf("FromName(%q, %q, %q) = %q, want %q", c.mode, c.company, c.agent, got, c.want)
		}
	}
}

func TestSendErrorsAreClassified(t *testing.T) {
	cases := []struct {
		name      string
		rcpt      *smtp.SMTPError
		data      *smtp.SMTPError
		temporary bool
		code      int
		text      string
	}{
		{"5xx at RCPT", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}, nil, false, 550, "No such user here"},
		{"4xx at RCPT", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try later"}, nil, true, 451, "Try later"},
		{"5xx at DATA", nil, &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Spam rejected"}, false, 554, "Spam rejected"},
		{"4xx at DATA", nil, &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Mailbox full"}, true, 452, "Mailbox full"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startSink(t, nil, false)
			s.rcptErr, s.dataErr = c.rcpt, c.data
			sender, err := NewSender(loopbackSettings(s, t))
			if err != nil {
				t.Fatal(err)
			}
			_, err = sender.Send(context.Background(), acme, reply())
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SendError", err)
			}
			if se.Temporary != c.temporary || IsTemporary(err) != c.temporary || se.Code != c.code || !strings.Contains(se.Text, c.text) {
				t.Errorf("SendError = %+v, want temporary=%v code=%d text %q", se, c.temporary, c.code, c.text)
			}
		})
	}
}

func TestSendNetworkErrorIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close() // nothing listens there now
	sender, err := NewSender(SMTPSettings{Host: "127.0.0.1", Port: port, TLS: TLSNone, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sender.Send(context.Background(), acme, reply())
	if err == nil || !IsTemporary(err) {
		t.Errorf("connection refused: err = %v, want temporary", err)
	}
}

func TestSendStartTLSWithAuth(t *testing.T) {
	cert, pool := testCert(t)
	s := startSink(t, &tls.Config{Certificates: []tls.Certificate{cert}}, false)
	s.user, s.pass = "support@acme.test", "app-password"
	settings := SMTPSettings{Host: "127.0.0.1", Port: s.port(t), Username: s.user, Password: s.pass,
		Timeout: 5 * time.Second, TLSConfig: &tls.Config{RootCAs: pool}}
	sender, err := NewSender(settings)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sender.Send(context.Background(), acme, reply()); err != nil {
		t.Fatal(err)
	}
	if got := s.messages(); len(got) != 1 || !got[0].tls {
		t.Fatalf("want one message over STARTTLS, got %+v", got)
	}

	settings.Password = "wrong"
	sender, _ = NewSender(settings)
	_, err = sender.Send(context.Background(), acme, reply())
	if err == nil || IsTemporary(err) {
		t.Errorf("bad password: err = %v, want permanent", err)
	}

	settings.Password = s.pass
	settings.TLSConfig = nil // the system roots do not trust the test certificate
	sender, _ = NewSender(settings)
	_, err = sender.Send(context.Background(), acme, reply())
	if err == nil || IsTemporary(err) {
		t.Errorf("untrusted certificate: err = %v, want permanent", err)
	}
}

func TestSendStartTLSRequired(t *testing.T) {
	s := startSink(t, nil, false) // offers no STARTTLS
	sender, err := NewSender(SMTPSettings{Host: "127.0.0.1", Port: s.port(t), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sender.Send(context.Background(), acme, reply())
	if err == nil || IsTemporary(err) {
		t.Errorf("relay without STARTTLS: err = %v, want permanent", err)
	}
	if len(s.messages()) != 0 {
		t.Error("mail was sent in clear text although starttls is required")
	}
}

func TestSendImplicitTLS(t *testing.T) {
	cert, pool := testCert(t)
	s := startSink(t, &tls.Config{Certificates: []tls.Certificate{cert}}, true)
	sender, err := NewSender(SMTPSettings{Host: "127.0.0.1", Port: s.port(t), TLS: TLSImplicit,
		Timeout: 5 * time.Second, TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sender.Send(context.Background(), acme, reply()); err != nil {
		t.Fatal(err)
	}
	if got := s.messages(); len(got) != 1 || !got[0].tls {
		t.Fatalf("want one message over TLS, got %d", len(got))
	}
}

func TestSMTPSettingsValidate(t *testing.T) {
	bad := []SMTPSettings{
		{Host: "smtp.example.com", Port: 25, TLS: TLSNone},
		{Host: "10.0.0.1", Port: 25, TLS: TLSNone},
		{Host: "smtp.example.com", Port: 0},
		{Host: "", Port: 587},
		{Host: "smtp.example.com", Port: 587, TLS: "ssl"},
		{Host: "smtp.example.com", Port: 587, Password: "x"},
	}
	for _, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", s)
		}
	}
	good := []SMTPSettings{
		{Host: "127.0.0.1", Port: 2525, TLS: TLSNone},
		{Host: "localhost", Port: 25, TLS: TLSNone},
		{Host: "::1", Port: 25, TLS: TLSNone},
		{Host: "smtp.gmail.com", Port: 587, Username: "a", Password: "b"},
		{Host: "smtp.example.com", Port: 465, TLS: TLSImplicit},
	}
	for _, s := range good {
		if err := s.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", s, err)
		}
	}
	if _, _, err := Compose(acme, Outgoing{Text: "x"}); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("no recipient: %v", err)
	}
}

// TestSendRefusesInternalRelayAfterResolution: under the production policy a relay that resolves to an
// internal address is refused before any connection, as a permanent failure naming why.
func TestSendRefusesInternalRelayAfterResolution(t *testing.T) {
	s := startSink(t, nil, false)
	before := egress.Current()
	egress.Set(egress.Policy{})
	defer egress.Set(before)
	sender, err := NewSender(SMTPSettings{Host: "localhost", Port: s.port(t), TLS: TLSNone, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sender.Send(context.Background(), acme, reply())
	if err == nil || IsTemporary(err) || !strings.Contains(err.Error(), "internal addresses") {
		t.Fatalf("err = %v, want a permanent refusal naming internal addresses", err)
	}
	if n := len(s.messages()); n != 0 {
		t.Fatalf("the sink received %d messages", n)
	}
}
