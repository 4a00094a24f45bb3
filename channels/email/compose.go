package email

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/jaytaylor/html2text"
	mail "github.com/wneessen/go-mail"

	"github.com/routedesk/routedesk/channels"
)

// From-name modes of a channel.
const (
	// FromNameAgentAndCompany shows "<agent full name>, <company>".
	FromNameAgentAndCompany = "agent_and_company"
	// FromNameCompany shows the company name.
	FromNameCompany = "company"
)

// Identity is how a channel presents itself in outbound mail.
type Identity struct {
	// Address is the channel's team address, used as From.
	Address string
	// FromNameMode is FromNameAgentAndCompany, FromNameCompany or "" (the agent's name).
	FromNameMode string
	// CompanyName is the company shown by the from-name modes.
	CompanyName string
	// Signature is appended to every reply; nil for none.
	Signature *Signature
}

// Signature is a channel signature whose body may use {{full_name}},
// {{first_name}} and {{last_name}}.
type Signature struct {
	// Format is "text" (the default) or "html".
	Format string `json:"format" validate:"oneof=text html"`
	// Body is the signature template.
	Body string `json:"body" validate:"max=10000"`
}

// Agent is the person a reply is sent for.
type Agent struct {
	// FullName is the agent's full name, e.g. "Ada Lovelace".
	FullName string
	// FirstName is the agent's first name; derived from FullName when empty.
	FirstName string
	// LastName is the agent's last name; derived from FullName when empty.
	LastName string
}

// Outgoing is one reply to send.
type Outgoing struct {
	// To are the recipients.
	To []Address
	// Cc are the copy recipients.
	Cc []Address
	// Bcc are blind copy recipients: envelope recipients only, never in a header.
	Bcc []Address
	// OriginalSubject is the conversation's subject; the mail gets "Re: <original> [#T-<ref>]".
	OriginalSubject string
	// TicketRef is the ticket number or id put in the subject; "" for none.
	TicketRef string
	// ReplyToRef, when set, makes Reply-To the ticket's plus-address (TicketReplyTo).
	ReplyToRef string
	// Text is the plain-text body (required).
	Text string
	// HTML is an HTML body; it is sanitised. Empty means text only.
	HTML string
	// Agent is the replying agent (names for the From name and the signature).
	Agent Agent
	// InReplyTo is the Message-ID (without angle brackets) being answered.
	InReplyTo string
	// References are the conversation's Message-IDs, oldest first, without angle brackets.
	References []string
	// Automated marks a message sent by automation: it gets Auto-Submitted: auto-replied.
	Automated bool
	// MessageID is our Message-ID without angle brackets; generated when empty.
	MessageID string
	// Date is the Date header; now when zero.
	Date time.Time
	// Files are attached after the body, each a MIME part of its own.
	Files []channels.Attachment
}

// ErrInvalidMessage is returned (wrapped) for an outgoing message that cannot be composed.
var ErrInvalidMessage = errors.New("invalid outgoing message")

// FromName returns the display name of a reply's From per the identity's mode:
// "Ada Lovelace, Acme", "Acme", or "Ada Lovelace"; a missing part is left out.
func (id Identity) FromName(agent Agent) string {
	name := strings.TrimSpace(agent.FullName)
	company := strings.TrimSpace(id.CompanyName)
	switch id.FromNameMode {
	case FromNameAgentAndCompany:
		if name != "" && company != "" {
			return name + ", " + company
		}
		if company != "" {
			return company
		}
	case FromNameCompany:
		if company != "" {
			return company
		}
	}
	return name
}

var signatureToken = regexp.MustCompile(`\{\{\s*(full_name|first_name|last_name)\s*\}\}`)

// Render returns the signature body with its tokens replaced by the agent's
// names (HTML-escaped in an html signature).
func (s *Signature) Render(a Agent) string {
	first, last := a.FirstName, a.LastName
	if first == "" && last == "" {
		fields := strings.Fields(a.FullName)
		if len(fields) > 0 {
			first = fields[0]
		}
		if len(fields) > 1 {
			last = strings.Join(fields[1:], " ")
		}
	}
	values := map[string]string{"full_name": a.FullName, "first_name": first, "last_name": last}
	return signatureToken.ReplaceAllStringFunc(s.Body, func(tok string) string {
		v := values[signatureToken.FindStringSubmatch(tok)[1]]
		if s.Format == "html" {
			return html.EscapeString(v)
		}
		return v
	})
}

// bodies returns the text and (possibly empty) HTML bodies with the signature appended.
func (id Identity) bodies(out Outgoing) (text, htmlBody string) {
	text = strings.TrimRight(out.Text, " \t\r\n")
	htmlBody = strings.TrimSpace(out.HTML)
	sig := id.Signature
	if sig == nil || strings.TrimSpace(sig.Body) == "" {
		if htmlBody != "" {
			htmlBody = SanitizeHTML(htmlBody)
		}
		return text, htmlBody
	}
	rendered := sig.Render(out.Agent)
	sigText, sigHTML := rendered, ""
	if sig.Format == "html" {
		sigHTML = SanitizeHTML(rendered)
		if t, err := html2text.FromString(sigHTML); err == nil {
			sigText = t
		}
		if htmlBody == "" {
			htmlBody = textToHTML(text)
		}
	} else if htmlBody != "" {
		sigHTML = textToHTML(rendered)
	}
	text += "\n\n" + withDelimiter(sigText)
	if htmlBody != "" {
		htmlBody = SanitizeHTML(htmlBody + "<br><br>\n<div class=\"signature\">" + sigHTML + "</div>")
	}
	return text, htmlBody
}

// withDelimiter returns a text signature that starts with the "-- " delimiter line
// (RFC 3676 §4.3) exactly once, whether or not the channel's signature has its own.
func withDelimiter(sig string) string {
	sig = strings.Trim(sig, "\r\n")
	first, rest, _ := strings.Cut(sig, "\n")
	if strings.TrimRight(first, " \t\r") == "--" {
		sig = rest
	}
	return "-- \n" + strings.TrimSpace(sig)
}

// textToHTML escapes text and keeps its line breaks.
func textToHTML(text string) string {
	return strings.ReplaceAll(html.EscapeString(text), "\n", "<br>\n")
}

// NewMessageID returns a fresh Message-ID (without angle brackets) in the domain of address.
func NewMessageID(address string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	domain := "routedesk.invalid"
	if _, _, d, ok := splitAddress(address); ok {
		domain = d
	}
	return fmt.Sprintf("%s.%d@%s", hex.EncodeToString(b[:]), time.Now().UnixNano(), domain)
}

// Compose builds the reply mail and returns it with its Message-ID (without angle brackets).
func Compose(id Identity, out Outgoing) (*mail.Msg, string, error) {
	if len(out.To) == 0 {
		return nil, "", fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	}
	if strings.TrimSpace(out.Text) == "" && strings.TrimSpace(out.HTML) == "" && len(out.Files) == 0 {
		return nil, "", fmt.Errorf("%w: empty body", ErrInvalidMessage)
	}
	m := mail.NewMsg()
	if err := m.FromFormat(id.FromName(out.Agent), id.Address); err != nil {
		return nil, "", fmt.Errorf("%w: from %q: %v", ErrInvalidMessage, id.Address, err)
	}
	for _, a := range out.To {
		if err := m.AddToFormat(a.Name, a.Email); err != nil {
			return nil, "", fmt.Errorf("%w: to %q: %v", ErrInvalidMessage, a.Email, err)
		}
	}
	for _, a := range out.Cc {
		if err := m.AddCcFormat(a.Name, a.Email); err != nil {
			return nil, "", fmt.Errorf("%w: cc %q: %v", ErrInvalidMessage, a.Email, err)
		}
	}
	for _, a := range out.Bcc {
		if err := m.AddBccFormat(a.Name, a.Email); err != nil {
			return nil, "", fmt.Errorf("%w: bcc %q: %v", ErrInvalidMessage, a.Email, err)
		}
	}
	if out.ReplyToRef != "" {
		if err := m.ReplyTo(TicketReplyTo(id.Address, out.ReplyToRef)); err != nil {
			return nil, "", fmt.Errorf("%w: reply-to: %v", ErrInvalidMessage, err)
		}
	}
	m.Subject(ReplySubject(out.OriginalSubject, out.TicketRef))
	msgID := out.MessageID
	if msgID == "" {
		msgID = NewMessageID(id.Address)
	}
	m.SetMessageIDWithValue(msgID)
	if out.Date.IsZero() {
		m.SetDate()
	} else {
		m.SetDateWithValue(out.Date)
	}
	if out.InReplyTo != "" {
		m.SetGenHeader(mail.HeaderInReplyTo, "<"+out.InReplyTo+">")
	}
	if refs := referencesHeader(out.References, out.InReplyTo); refs != "" {
		m.SetGenHeader(mail.HeaderReferences, refs)
	}
	if out.Automated {
		m.SetGenHeader(mail.Header("Auto-Submitted"), "auto-replied")
	}
	text, htmlBody := id.bodies(out)
	m.SetBodyString(mail.TypeTextPlain, text)
	if htmlBody != "" {
		m.AddAlternativeString(mail.TypeTextHTML, htmlBody)
	}
	for i, f := range out.Files {
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		if err := m.AttachReader(f.Name, bytes.NewReader(f.Content), mail.WithFileContentType(mail.ContentType(ct))); err != nil {
			return nil, "", fmt.Errorf("%w: file %d: %v", ErrInvalidMessage, i, err)
		}
	}
	return m, msgID, nil
}

// referencesHeader returns the References value: refs, then inReplyTo when
// missing, each in angle brackets, at most the last 20.
func referencesHeader(refs []string, inReplyTo string) string {
	ids := append([]string(nil), refs...)
	if inReplyTo != "" && (len(ids) == 0 || ids[len(ids)-1] != inReplyTo) {
		ids = append(ids, inReplyTo)
	}
	if len(ids) > 20 {
		ids = append(ids[:1], ids[len(ids)-19:]...)
	}
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = strings.Trim(strings.TrimSpace(id), "<>"); id != "" {
			parts = append(parts, "<"+id+">")
		}
	}
	return strings.Join(parts, " ")
}
