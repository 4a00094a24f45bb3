package email

import (
	"bytes"
	"unicode/utf8"
)

// Refusal is why an inbound mail is refused for good: the same rules, and
// the same words, for the SMTP listener (554 5.6.0) and the raw-mail route (422).
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

// CheckInbound applies the rules every inbound mail must pass once parsed:
// no NUL byte (RFC 5322 allows none, PostgreSQL cannot store one), a From (or
// Sender) address, and bodies that decode to valid UTF-8 (a body that claims
// UTF-8 and is not, or that no charset decodes). Headers in legacy charsets
// are decoded by the parser, never refused here.
func CheckInbound(m *Mail, raw []byte) *Refusal {
	switch {
	case bytes.IndexByte(raw, 0) >= 0:
		return &Refusal{Reason: "the mail holds NUL bytes, which RFC 5322 mail must not"}
	case m.From.Email == "":
		return &Refusal{Reason: "the mail has no From (or Sender) address"}
	case !utf8.ValidString(m.Text), !utf8.ValidString(m.HTML):
		return &Refusal{Reason: "the mail's text is not valid UTF-8 in the charset it declares"}
	}
	return nil
}
