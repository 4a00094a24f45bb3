package email

import (
	"strings"
	"time"
)

// Address is a mailbox: a display name and an email address.
type Address struct {
	// Name is the display name, decoded; empty when the header has none.
	Name string `json:"name,omitempty"`
	// Email is the address, as written (compare with SameAddress).
	Email string `json:"email"`
}

// String formats the address as `Name <email>` or just the email.
func (a Address) String() string {
	if a.Name == "" {
		return a.Email
	}
	return a.Name + " <" + a.Email + ">"
}

// Attachment is a non-body MIME part of a mail.
type Attachment struct {
	// Name is the file name, decoded; may be empty for unnamed inline parts.
	Name string `json:"name"`
	// ContentType is the media type without parameters, e.g. image/png.
	ContentType string `json:"content_type"`
	// Size is the decoded size in bytes.
	Size int `json:"size"`
	// SHA256 is the hex SHA-256 of the decoded bytes.
	SHA256 string `json:"sha256"`
	// Inline reports a part shown inside the body (e.g. a cid: image).
	Inline bool `json:"inline"`
	// ContentID is the part's Content-ID without angle brackets.
	ContentID string `json:"content_id,omitempty"`
	// Content is the decoded bytes.
	Content []byte `json:"-"`
}

// Kind classifies a mail for loop and noise handling.
type Kind string

// Kinds of mail.
const (
	// KindNormal is a mail written by a person.
	KindNormal Kind = "normal"
	// KindAutoReply is an automatic answer (out of office, list, bulk).
	KindAutoReply Kind = "auto_reply"
	// KindBounce is a delivery status notification or a MAILER-DAEMON report.
	KindBounce Kind = "bounce"
)

// Mail is a parsed inbound message.
type Mail struct {
	// MessageID is the Message-ID without angle brackets; empty when absent.
	MessageID string `json:"message_id"`
	// InReplyTo lists the In-Reply-To ids without angle brackets.
	InReplyTo []string `json:"in_reply_to,omitempty"`
	// References lists the References ids without angle brackets, oldest first.
	References []string `json:"references,omitempty"`
	// Subject is the decoded subject.
	Subject string `json:"subject"`
	// From is the author.
	From Address `json:"from"`
	// ReplyTo lists the Reply-To addresses.
	ReplyTo []Address `json:"reply_to,omitempty"`
	// To lists the To addresses.
	To []Address `json:"to,omitempty"`
	// Cc lists the Cc addresses.
	Cc []Address `json:"cc,omitempty"`
	// DeliveredTo lists the Delivered-To and X-Original-To addresses.
	DeliveredTo []Address `json:"delivered_to,omitempty"`
	// Date is the Date header; zero when absent or unparseable.
	Date time.Time `json:"date"`
	// Text is the whole plain-text body (derived from the HTML when the mail has no text part).
	Text string `json:"text"`
	// NewText is Text without the quoted history of a reply.
	NewText string `json:"new_text"`
	// QuotedText is the quoted history of a reply; empty when there is none.
	QuotedText string `json:"quoted_text,omitempty"`
	// Quoted reports that QuotedText holds quoted history.
	Quoted bool `json:"quoted"`
	// HTML is the sanitised HTML body; empty for text-only mail.
	HTML string `json:"html,omitempty"`
	// Attachments are the non-body parts, inline images included.
	Attachments []Attachment `json:"attachments,omitempty"`
	// Forward describes a forwarded mail; nil when the mail is not a forward.
	Forward *Forward `json:"forward,omitempty"`
	// Kind classifies the mail as normal, auto-reply or bounce.
	Kind Kind `json:"kind"`
	// AutoReason names the header that made the mail an auto-reply, e.g. "Auto-Submitted: auto-replied".
	AutoReason string `json:"auto_reason,omitempty"`
	// NoAutoReply names the header by which a person's mail asks for no automatic answers
	// ("Precedence: list", "X-Auto-Response-Suppress: All"); it is still a customer's mail.
	NoAutoReply string `json:"no_auto_reply,omitempty"`
	// Bounce describes a bounce; nil unless Kind is KindBounce.
	Bounce *Bounce `json:"bounce,omitempty"`
	// Size is the raw message size in bytes.
	Size int `json:"size"`
	// Warnings lists problems the lenient parser repaired or skipped.
	Warnings []string `json:"warnings,omitempty"`

	header map[string][]string
}

// Header returns the first value of the named raw header ("" when absent).
func (m *Mail) Header(name string) string {
	for k, v := range m.header {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// Contact returns the address the mail belongs to: the original sender of a
// forward when useOriginal is set and the forward's sender is known, else From.
func (m *Mail) Contact(useOriginal bool) Address {
	if useOriginal && m.Forward != nil && m.Forward.Original.Email != "" {
		return m.Forward.Original
	}
	return m.From
}

// Customer returns who the mail's conversation is with: the original sender of a
// forward (per useOriginal, as Contact), else the first Reply-To address that is
// not one of own (RFC 5322 §3.6.2: a web shop's or a contact form's mail from
// noreply@ names the customer there), else From.
func (m *Mail) Customer(useOriginal bool, own ...string) Address {
	if useOriginal && m.Forward != nil && m.Forward.Original.Email != "" {
		return m.Forward.Original
	}
	for _, a := range m.ReplyTo {
		if !isOwn(a.Email, own) {
			return a
		}
	}
	return m.From
}

// isOwn reports whether addr is one of own (plus-addressing and case ignored).
func isOwn(addr string, own []string) bool {
	for _, o := range own {
		if SameAddress(addr, o) {
			return true
		}
	}
	return false
}

// IsFrom reports whether the mail's From is the given address (plus-addressing
// and domain case ignored) — "from our own address".
func (m *Mail) IsFrom(address string) bool {
	return SameAddress(m.From.Email, address)
}
