package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/jhillyerd/enmime"
)

// Errors of Parse; the SMTP listener answers ErrTooLarge with 552.
var (
	// ErrTooLarge is returned for a message over Limits.MaxBytes.
	ErrTooLarge = errors.New("message exceeds the size limit")
	// ErrTooComplex is returned for a message over the part-count or nesting limits.
	ErrTooComplex = errors.New("message exceeds the MIME part or nesting limits")
)

// Limits bound the work and memory Parse spends on one message.
type Limits struct {
	// MaxBytes is the largest raw message accepted (default 25 MB).
	MaxBytes int64
	// MaxParts is the most MIME parts accepted (default 500).
	MaxParts int
	// MaxDepth is the deepest multipart nesting accepted (default 20).
	MaxDepth int
	// MaxEmbedded is how many levels of attached messages (message/rfc822) are
	// parsed for forwards and bounces (default 2).
	MaxEmbedded int
}

// DefaultMaxBytes is the default size limit of a message: 25 MB.
const DefaultMaxBytes = 25 << 20

// DefaultLimits returns the limits Parse uses.
func DefaultLimits() Limits {
	return Limits{MaxBytes: DefaultMaxBytes, MaxParts: 500, MaxDepth: 20, MaxEmbedded: 2}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxParts <= 0 {
		l.MaxParts = d.MaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxEmbedded < 0 {
		l.MaxEmbedded = 0
	}
	return l
}

// maxBoundaryWords caps the occurrences of "boundary" in a message before it
// is handed to the MIME parser: the parser recurses once per nested multipart
// and a multipart needs a boundary parameter, so this bounds its stack.
const maxBoundaryWords = 2000

// Parse parses a raw RFC 5322 message with DefaultLimits.
func Parse(raw []byte) (*Mail, error) {
	return ParseWithLimits(raw, DefaultLimits())
}

// ParseReader reads at most lim.MaxBytes from r and parses it; it returns the raw bytes too.
func ParseReader(r io.Reader, lim Limits) (*Mail, []byte, error) {
	lim = lim.withDefaults()
	raw, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read message: %w", err)
	}
	m, err := ParseWithLimits(raw, lim)
	return m, raw, err
}

// ParseWithLimits parses a raw RFC 5322 message: headers, bodies, attachments,
// quoted history, forwards and auto-reply/bounce classification.
func ParseWithLimits(raw []byte, lim Limits) (*Mail, error) {
	lim = lim.withDefaults()
	return parse(raw, lim, lim.MaxEmbedded)
}

func parse(raw []byte, lim Limits, embedded int) (*Mail, error) {
	if int64(len(raw)) > lim.MaxBytes {
		return nil, fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, len(raw), lim.MaxBytes)
	}
	if countFold(raw, "boundary") > maxBoundaryWords {
		return nil, fmt.Errorf("%w: too many multipart boundaries", ErrTooComplex)
	}
	parser := enmime.NewParser(enmime.SkipMalformedParts(true), enmime.MaxStoredPartErrors(20),
		enmime.SetCustomParseMediaType(parseMediaType))
	// Undeclared 8-bit headers and bodies are decoded by detection here, before anything reads them as UTF-8.
	root, err := parser.ReadParts(bytes.NewReader(decodeRawHeaders(raw)))
	if err != nil {
		return nil, fmt.Errorf("parse MIME: %w", err)
	}
	decodeUndeclaredParts(root)
	if parts, depth := measure(root); parts > lim.MaxParts || depth > lim.MaxDepth {
		return nil, fmt.Errorf("%w: %d parts (limit %d), depth %d (limit %d)",
			ErrTooComplex, parts, lim.MaxParts, depth, lim.MaxDepth)
	}
	env, err := parser.EnvelopeFromPart(root)
	if err != nil {
		return nil, fmt.Errorf("parse MIME body: %w", err)
	}
	m := &Mail{Size: len(raw), header: root.Header}
	m.readHeaders(env)
	m.Text = normalizeText(env.Text)
	if env.HTML != "" {
		m.HTML = SanitizeHTML(env.HTML)
	}
	m.Attachments = attachments(env)
	for i, e := range env.Errors {
		if i == 10 {
			break
		}
		m.Warnings = append(m.Warnings, e.String())
	}
	m.NewText, m.QuotedText, m.Quoted = SplitQuoted(m.Text)
	m.Forward = detectForward(m, root, lim, embedded)
	m.classify(root)
	return m, nil
}

// readHeaders fills the header fields of m from env.
func (m *Mail) readHeaders(env *enmime.Envelope) {
	m.MessageID = firstID(env.GetHeader("Message-ID"))
	m.InReplyTo = msgIDs(env.GetHeader("In-Reply-To"))
	m.References = msgIDs(strings.Join(env.GetHeaderValues("References"), " "))
	m.Subject = strings.TrimSpace(env.GetHeader("Subject"))
	if from := addressList(env, "From"); len(from) > 0 {
		m.From = from[0]
	} else if sender := addressList(env, "Sender"); len(sender) > 0 {
		m.From = sender[0]
	}
	m.ReplyTo = addressList(env, "Reply-To")
	m.To = addressList(env, "To")
	m.Cc = addressList(env, "Cc")
	m.DeliveredTo = append(addressList(env, "Delivered-To"), addressList(env, "X-Original-To")...)
	if d, err := env.Date(); err == nil {
		m.Date = d
	} else if d, err := mail.ParseDate(env.GetHeader("Date")); err == nil {
		m.Date = d
	}
	if !m.Date.IsZero() {
		m.Date = m.Date.UTC().Truncate(time.Second)
	}
}

// addressList returns the decoded addresses of a header; unparseable headers give nil.
func addressList(env *enmime.Envelope, name string) []Address {
	list, err := env.AddressList(name)
	if err != nil {
		return nil
	}
	out := make([]Address, 0, len(list))
	for _, a := range list {
		if a.Address == "" {
			continue
		}
		out = append(out, Address{Name: strings.TrimSpace(a.Name), Email: a.Address})
	}
	return out
}

// measure returns the number of parts under root and the deepest nesting.
func measure(root *enmime.Part) (parts, depth int) {
	type item struct {
		p *enmime.Part
		d int
	}
	stack := []item{{root, 1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		parts++
		depth = max(depth, it.d)
		for c := it.p.FirstChild; c != nil; c = c.NextSibling {
			stack = append(stack, item{c, it.d + 1})
		}
	}
	return parts, depth
}

// attachments lists the non-body parts of env.
func attachments(env *enmime.Envelope) []Attachment {
	seen := map[*enmime.Part]bool{}
	var out []Attachment
	for _, group := range [][]*enmime.Part{env.Attachments, env.Inlines, env.OtherParts} {
		for _, p := range group {
			if seen[p] || isBodyPart(p) {
				continue
			}
			seen[p] = true
			sum := sha256.Sum256(p.Content)
			out = append(out, Attachment{
				Name:        p.FileName,
				ContentType: p.ContentType,
				Size:        len(p.Content),
				SHA256:      hex.EncodeToString(sum[:]),
				Inline:      p.Disposition == "inline" || (p.ContentID != "" && p.Disposition != "attachment"),
				ContentID:   p.ContentID,
				Content:     p.Content,
			})
		}
	}
	return out
}

// isBodyPart reports a text/plain or text/html part that is (part of) the body, not a file.
func isBodyPart(p *enmime.Part) bool {
	return (p.ContentType == "text/plain" || p.ContentType == "text/html") &&
		p.FileName == "" && p.Disposition != "attachment"
}

// normalizeText turns CRLF into LF and trims trailing white space.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimRight(s, " \t\n")
}

// msgIDs returns the message ids of a header value, without angle brackets.
func msgIDs(v string) []string {
	var ids []string
	for {
		open := strings.IndexByte(v, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(v[open:], '>')
		if end < 0 {
			break
		}
		if id := strings.TrimSpace(v[open+1 : open+end]); id != "" && !strings.ContainsAny(id, " <") {
			ids = append(ids, id)
		}
		v = v[open+end+1:]
	}
	if len(ids) == 0 {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") {
				ids = append(ids, strings.Trim(f, "<>"))
			}
		}
	}
	return ids
}

// firstID returns the first message id of a header value.
func firstID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// countFold counts the case-insensitive occurrences of an ASCII word in b.
func countFold(b []byte, word string) int {
	n := 0
	first := word[0]
	upper := first - 'a' + 'A'
	for i := 0; i+len(word) <= len(b); i++ {
		if (b[i] == first || b[i] == upper) && bytes.EqualFold(b[i:i+len(word)], []byte(word)) {
			n++
			i += len(word) - 1
		}
	}
	return n
}
