package imports

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Conversation is one line of an NDJSON import: a conversation with its contact, messages and optional ticket.
type Conversation struct {
	ExternalID string    `json:"external_id"`
	Contact    Contact   `json:"contact"`
	Messages   []Message `json:"messages"`
	Ticket     *Ticket   `json:"ticket,omitempty"`
}

// Contact is who the conversation is with.
type Contact struct {
	Email          string `json:"email,omitempty"`
	Name           string `json:"name,omitempty"`
	Phone          string `json:"phone,omitempty"`
	ExternalUserID string `json:"external_user_id,omitempty"`
}

// Message is one message of an imported conversation.
type Message struct {
	ExternalID string    `json:"external_id"`
	Direction  string    `json:"direction"`
	Author     string    `json:"author,omitempty"`
	Text       string    `json:"text,omitempty"`
	HTML       string    `json:"html,omitempty"`
	SentAt     time.Time `json:"sent_at"`
	// Attachments are the message's files, their bytes in base64.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a file of an imported message.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type,omitempty"`
	// Data is the file's bytes, base64 (RFC 4648, standard alphabet).
	Data string `json:"data"`
	// Inline marks an image shown inside the HTML (cid:content_id).
	Inline    bool   `json:"inline,omitempty"`
	ContentID string `json:"content_id,omitempty"`
}

// MaxAttachmentBytes is the largest imported attachment kept, as for live mail; a larger one is listed as omitted.
const MaxAttachmentBytes = 10 << 20

// maxAttachments bounds the attachments of one imported message.
const maxAttachments = 100

// stored returns the message's attachments as the store keeps them (validate has checked them).
func (m Message) stored() []store.Attachment {
	out := make([]store.Attachment, 0, len(m.Attachments))
	for i, a := range m.Attachments {
		b, _ := base64.StdEncoding.DecodeString(a.Data)
		sum := sha256.Sum256(b)
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		sa := store.Attachment{N: i, Name: a.Name, ContentType: ct, Size: len(b), SHA256: hex.EncodeToString(sum[:]),
			Inline: a.Inline, ContentID: a.ContentID, Content: b}
		if len(b) > MaxAttachmentBytes {
			sa.Content, sa.Omitted = nil, true
		}
		out = append(out, sa)
	}
	return out
}

// checkAttachments validates a message's attachments; f is the message's field path.
func checkAttachments(f string, list []Attachment) error {
	if len(list) > maxAttachments {
		return fmt.Errorf("%s.attachments: at most %d", f, maxAttachments)
	}
	for j, a := range list {
		af := fmt.Sprintf("%s.attachments[%d]", f, j)
		if err := firstErr([]error{text(af+".name", a.Name, 255, true), text(af+".content_id", a.ContentID, 255, false)}); err != nil {
			return err
		}
		if a.ContentType != "" {
			if _, _, err := mime.ParseMediaType(a.ContentType); err != nil || len(a.ContentType) > 255 {
				return fmt.Errorf("%s.content_type: not a media type", af)
			}
		}
		if _, err := base64.StdEncoding.DecodeString(a.Data); err != nil {
			return fmt.Errorf("%s.data: not base64: %v", af, err)
		}
	}
	return nil
}

// Ticket is an imported conversation's ticket.
type Ticket struct {
	Subject       string         `json:"subject,omitempty"`
	Description   string         `json:"description,omitempty"`
	Status        string         `json:"status,omitempty"`
	Pipeline      string         `json:"pipeline,omitempty"`
	Priority      string         `json:"priority,omitempty"`
	Properties    map[string]any `json:"properties,omitempty"`
	AssigneeEmail string         `json:"assignee_email,omitempty"`
	CreatedAt     *time.Time     `json:"created_at,omitempty"`
	ClosedAt      *time.Time     `json:"closed_at,omitempty"`
}

// Limits of an NDJSON line.
const (
	maxMessagesPerLine = 10000
	maxIDBytes         = 255
	maxTextBytes       = 100000
	maxHTMLBytes       = 500000
	maxShortBytes      = 200
)

// ParseLine decodes and validates one NDJSON line; the error names the first bad field.
func ParseLine(line []byte) (Conversation, error) {
	var c Conversation
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return c, fmt.Errorf("%s: must be a %s", te.Field, te.Type)
		}
		return c, fmt.Errorf("not a JSON object: %w", err)
	}
	if dec.More() {
		return c, errors.New("more than one JSON value on the line")
	}
	return c, c.validate()
}

func (c *Conversation) validate() error {
	checks := []error{
		text("external_id", c.ExternalID, maxIDBytes, true),
		text("contact.name", c.Contact.Name, maxShortBytes, false),
		text("contact.phone", c.Contact.Phone, 50, false),
		text("contact.external_user_id", c.Contact.ExternalUserID, maxIDBytes, false),
		address("contact.email", c.Contact.Email),
	}
	if c.Contact.Email == "" && c.Contact.ExternalUserID == "" {
		checks = append(checks, errors.New("contact: needs an email or an external_user_id"))
	}
	if len(c.Messages) == 0 || len(c.Messages) > maxMessagesPerLine {
		checks = append(checks, fmt.Errorf("messages: needs 1 to %d messages", maxMessagesPerLine))
	}
	seen := map[string]bool{}
	for i, m := range c.Messages {
		f := fmt.Sprintf("messages[%d]", i)
		checks = append(checks,
			text(f+".external_id", m.ExternalID, maxIDBytes, true),
			text(f+".author", m.Author, maxShortBytes, false),
			text(f+".text", m.Text, maxTextBytes, false),
			text(f+".html", m.HTML, maxHTMLBytes, false))
		if seen[m.ExternalID] {
			checks = append(checks, fmt.Errorf("%s.external_id: %q appears twice in the conversation", f, m.ExternalID))
		}
		seen[m.ExternalID] = true
		if m.Direction != domain.DirectionInbound && m.Direction != domain.DirectionOutbound {
			checks = append(checks, fmt.Errorf("%s.direction: must be inbound or outbound", f))
		}
		if strings.TrimSpace(m.Text) == "" && strings.TrimSpace(m.HTML) == "" {
			checks = append(checks, fmt.Errorf("%s: needs text or html", f))
		}
		if m.SentAt.IsZero() {
			checks = append(checks, fmt.Errorf("%s.sent_at: required (RFC 3339)", f))
		}
		checks = append(checks, checkAttachments(f, m.Attachments))
	}
	if t := c.Ticket; t != nil {
		checks = append(checks,
			text("ticket.subject", t.Subject, 998, false),
			text("ticket.description", t.Description, maxTextBytes, false),
			text("ticket.status", t.Status, 100, false),
			text("ticket.pipeline", t.Pipeline, 100, false),
			text("ticket.priority", t.Priority, 100, false),
			address("ticket.assignee_email", t.AssigneeEmail))
		if t.ClosedAt != nil && t.CreatedAt != nil && t.ClosedAt.Before(*t.CreatedAt) {
			checks = append(checks, errors.New("ticket.closed_at: is before ticket.created_at"))
		}
		if b, err := json.Marshal(t.Properties); err != nil || bytes.Contains(b, []byte(`\u0000`)) {
			checks = append(checks, errors.New("ticket.properties: holds a NUL character"))
		}
	}
	return firstErr(checks)
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// text checks a string field: present when required, at most max bytes, storable as PostgreSQL text.
func text(field, v string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return fmt.Errorf("%s: required", field)
	case len(v) > max:
		return fmt.Errorf("%s: longer than %d bytes", field, max)
	case strings.ContainsRune(v, 0):
		return fmt.Errorf("%s: holds a NUL character", field)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s: is not valid UTF-8", field)
	}
	return nil
}

func address(field, v string) error {
	if v == "" {
		return nil
	}
	if err := text(field, v, 320, false); err != nil {
		return err
	}
	if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
		return fmt.Errorf("%s: is not an email address", field)
	}
	return nil
}

// Last returns the conversation's newest message.
func (c *Conversation) Last() Message {
	last := c.Messages[0]
	for _, m := range c.Messages[1:] {
		if !m.SentAt.Before(last.SentAt) {
			last = m
		}
	}
	return last
}
