package email

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzInbound: whatever a mail holds, what is stored of it (the message, the
// thread key, the plus-address routing and the ticket reference) is valid
// UTF-8 without NUL, as PostgreSQL text requires, and threading never panics.
func FuzzInbound(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("From: \x00<a@b>\r\nSubject: \xff [#T-tkt-1]\r\nIn-Reply-To: <\x00>\r\n\r\n\x00"))
	lim := Limits{MaxBytes: 1 << 20, MaxParts: 100, MaxDepth: 10, MaxEmbedded: 2}
	cfg := &Config{Address: "support@acme.test"}
	cfg.ApplyDefaults()
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseWithLimits(raw, lim)
		if err != nil {
			return
		}
		in := inboundOf(m, cfg, "email:"+m.MessageID, m.MessageID)
		for name, v := range map[string]string{"thread key": in.ThreadKey, "external id": in.ExternalID, "subject": in.Subject,
			"text": in.Text, "html": in.HTML, "email": in.Author.Email, "name": in.Author.Name} {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				t.Fatalf("%s %q is not storable", name, v)
			}
		}
		for _, id := range clipIDs(append(m.InReplyTo, m.References...)) {
			if !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
				t.Fatalf("message id %q is not storable", id)
			}
		}
		if ref, ok := ThreadRef(m, cfg.Address); ok && ticketRefOf(ticketIDOf(ref)) != ref {
			t.Fatalf("ticket reference %q does not round-trip", ref)
		}
	})
}
