package csat

import (
	"strings"
	"testing"
	"time"
)

func TestLinksSignParse(t *testing.T) {
	secret := []byte(strings.Repeat("k", 32))
	l, err := NewLinks(secret, "https://desk.example/")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	tok := l.Sign("acc_1", "tkt_1", now.Add(time.Hour))
	if got := l.URL(tok); got != "https://desk.example/csat/"+tok {
		t.Fatalf("URL %q", got)
	}
	c, err := l.Parse(tok, now)
	if err != nil || c.TicketID != "tkt_1" || c.AccountID != "acc_1" {
		t.Fatalf("parse: %+v %v", c, err)
	}
	if _, err := l.Parse(tok, now.Add(time.Hour)); err != ErrExpired {
		t.Fatalf("expired: %v", err)
	}
	other, _ := NewLinks([]byte(strings.Repeat("x", 32)), "")
	for _, bad := range []string{tok[:len(tok)-1] + "A", strings.Replace(tok, "rcs1.", "rcs2.", 1), "rcs1.", "rcs1.a.b", "",
		other.Sign("acc_1", "tkt_1", now.Add(time.Hour))} {
		if _, err := l.Parse(bad, now); err != ErrBadToken {
			t.Errorf("%q: %v, want ErrBadToken", bad, err)
		}
	}
	if _, err := NewLinks([]byte("short"), ""); err == nil {
		t.Fatal("a short secret was taken")
	}
	if other.URL(tok) != "" {
		t.Fatal("a link without a base URL")
	}
}

func TestPayload(t *testing.T) {
	r, id, ok := ParsePayload(Payload(4, "tkt_9"))
	if !ok || r != 4 || id != "tkt_9" {
		t.Fatalf("round trip: %d %q %v", r, id, ok)
	}
	for _, bad := range []string{"csat:0:tkt", "csat:6:tkt", "csat:x:tkt", "csat:3:", "csat:3", "GDPR_CONSENT_ACCEPT", ""} {
		if _, _, ok := ParsePayload(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	if n := len(Choices("tkt_1")); n != 5 {
		t.Fatalf("%d choices", n)
	}
}
