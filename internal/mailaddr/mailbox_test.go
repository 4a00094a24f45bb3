package mailaddr

import "testing"

// cases are also checked against routedesk_mailbox (SQL) by store.TestMailboxSQLMatchesGo.
var cases = map[string]string{
	"support@acme.test":                 "support@acme.test",
	"Support@ACME.Test":                 "support@acme.test",
	"support+billing@acme.test":         "support@acme.test",
	"su.pport+x+y@acme.test":            "su.pport@acme.test",
	"+tag@acme.test":                    "+tag@acme.test",
	"John.Doe@gmail.com":                "johndoe@gmail.com",
	"j.o.h.n.d.o.e+news@GoogleMail.com": "johndoe@gmail.com",
	"\"a@b\"@example.com":               "\"a@b\"@example.com",
	"Ünïcode@Example.com":               "Ünïcode@example.com",
	"no-at-sign":                        "no-at-sign",
}

func TestMailbox(t *testing.T) {
	for in, want := range cases {
		if got := Mailbox(in); got != want {
			t.Errorf("Mailbox(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzMailbox: the key of a key is itself (claims are stable), and spelling changes the
// provider ignores (case, a +tag) never change it.
func FuzzMailbox(f *testing.F) {
	for in := range cases {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, address string) {
		key := Mailbox(address)
		if again := Mailbox(key); again != key {
			t.Fatalf("Mailbox(%q) = %q, but Mailbox(%q) = %q", address, key, key, again)
		}
		if upper := Mailbox(upperASCII(address)); upper != key {
			t.Fatalf("case changed the key of %q: %q vs %q", address, key, upper)
		}
	})
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}
