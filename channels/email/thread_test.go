package email

import "testing"

func TestTicketRef(t *testing.T) {
	if got := TicketRef("1042"); got != "[#T-1042]" {
		t.Errorf("TicketRef = %q", got)
	}
	for _, bad := range []string{"", "-1", "a b", "x]y", string(make([]byte, 65))} {
		if got := TicketRef(bad); got != "" {
			t.Errorf("TicketRef(%q) = %q, want empty", bad, got)
		}
	}
	cases := map[string]string{
		"Re: Where is my order? [#T-1042]":                    "1042",
		"AW: [#T-7f3c9a2e-1b2d-4c5e-8f90-123456789abc] Hallo": "7f3c9a2e-1b2d-4c5e-8f90-123456789abc",
		"Re: [#T-1] Fwd: [#T-2] two refs, the last wins":      "2",
	}
	for subject, want := range cases {
		if got, ok := ExtractTicketRef(subject); !ok || got != want {
			t.Errorf("ExtractTicketRef(%q) = %q, %v; want %q", subject, got, ok, want)
		}
	}
	if _, ok := ExtractTicketRef("Re: order #1042 [T-1042]"); ok {
		t.Error("a look-alike reference was extracted")
	}
}

func TestReplySubject(t *testing.T) {
	cases := []struct{ original, ref, want string }{
		{"Where is my order?", "1042", "Re: Where is my order? [#T-1042]"},
		{"Re: Where is my order?", "1042", "Re: Where is my order? [#T-1042]"},
		{"RE: AW: Sv: Fwd: Lieferung [#T-77]", "77", "Re: Lieferung [#T-77]"},
		{"Re: Lieferung [#T-77]", "78", "Re: Lieferung [#T-78]"},
		{"", "5", "Re: [#T-5]"},
		{"Hello", "", "Re: Hello"},
		{"Re[2]: Hello", "9", "Re: Hello [#T-9]"},
	}
	for _, c := range cases {
		if got := ReplySubject(c.original, c.ref); got != c.want {
			t.Errorf("ReplySubject(%q, %q) = %q, want %q", c.original, c.ref, got, c.want)
		}
	}
}

func TestPlusAddressing(t *testing.T) {
	cases := []struct {
		rcpt, team, token string
		ok                bool
	}{
		{"support@acme.test", "support@acme.test", "", true},
		{"support+T-42@acme.test", "support@acme.test", "T-42", true},
		{"Support+anything@ACME.Test", "support@acme.test", "anything", true},
		{"<support+x@acme.test>", "support@acme.test", "x", true},
		{"sales+x@acme.test", "support@acme.test", "", false},
		{"support@other.test", "support@acme.test", "", false},
		{"supportx@acme.test", "support@acme.test", "", false},
		{"not-an-address", "support@acme.test", "", false},
	}
	for _, c := range cases {
		token, ok := MatchTeamAddress(c.rcpt, c.team)
		if ok != c.ok || token != c.token {
			t.Errorf("MatchTeamAddress(%q, %q) = %q, %v; want %q, %v", c.rcpt, c.team, token, ok, c.token, c.ok)
		}
	}
	if got := PlusAddress("support@Acme.test", "T-42"); got != "support+T-42@acme.test" {
		t.Errorf("PlusAddress = %q", got)
	}
	if got := PlusAddress("support@acme.test", "bad token"); got != "support@acme.test" {
		t.Errorf("PlusAddress with a bad token = %q", got)
	}
	m := &Mail{Subject: "Hello", To: []Address{{Email: "other@x.test"}}, Cc: []Address{{Email: "support+T-9@acme.test"}}}
	if ref, ok := ThreadRef(m, "support@acme.test"); !ok || ref != "9" {
		t.Errorf("ThreadRef from plus-address = %q, %v", ref, ok)
	}
	if got := TicketReplyTo("support@acme.test", "9"); got != "support+T-9@acme.test" {
		t.Errorf("TicketReplyTo = %q", got)
	}
	m.Subject = "Re: Hello [#T-8]"
	if ref, _ := ThreadRef(m, "support@acme.test"); ref != "8" {
		t.Errorf("subject reference should win, got %q", ref)
	}
}

func TestThreadRefIgnoresOtherPlusTokens(t *testing.T) {
	m := &Mail{To: []Address{{Email: "support+sales@acme.test"}}}
	if ref, ok := ThreadRef(m, "support@acme.test"); ok {
		t.Errorf("ThreadRef = %q from a non-ticket plus token", ref)
	}
	if tok, ok := PlusToken(m, "support@acme.test"); !ok || tok != "sales" {
		t.Errorf("PlusToken = %q, %v", tok, ok)
	}
}
