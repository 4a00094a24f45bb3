package email

import (
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/jhillyerd/enmime"
)

// Forward styles.
const (
	// ForwardInline is a forward whose original is quoted in the body under a header block.
	ForwardInline = "inline"
	// ForwardAttachment is a forward whose original is attached as message/rfc822.
	ForwardAttachment = "attachment"
)

// Forward describes a forwarded mail.
type Forward struct {
	// Style is ForwardInline or ForwardAttachment.
	Style string `json:"style"`
	// Original is the original sender; Email is empty when the client omitted it.
	Original Address `json:"original"`
	// Forwarder is who forwarded the mail (the outer From).
	Forwarder Address `json:"forwarder"`
	// OriginalSubject is the original subject.
	OriginalSubject string `json:"original_subject,omitempty"`
	// OriginalDate is the original date as written by the client.
	OriginalDate string `json:"original_date,omitempty"`
	// OriginalTime is OriginalDate parsed; zero when it is not an RFC 5322 date.
	OriginalTime time.Time `json:"original_time"`
	// OriginalMessageID is the original Message-ID (attachment forwards only).
	OriginalMessageID string `json:"original_message_id,omitempty"`
	// OriginalText is the original body.
	OriginalText string `json:"original_text"`
	// Note is what the forwarder wrote above the forwarded mail.
	Note string `json:"note,omitempty"`
}

// ParseForward finds an inline forward in a mail body: a Gmail, Thunderbird,
// Yahoo or Apple Mail separator line, or (when the subject is a forward's) an
// Outlook rule or "Original Message" line, followed by a header block with the
// original From. It returns nil when text holds no forward.
func ParseForward(subject, text string) *Forward {
	lines := strings.Split(text, "\n")
	unq := unquotedLines(lines)
	fwdSubject := IsForwardSubject(subject)
	for i, line := range lines {
		t := strings.TrimSpace(strings.TrimLeft(line, "> "))
		if t == "" {
			continue
		}
		start := -1
		switch {
		case inlineRun(t) != nil:
			block := append(inlineRun(t), "")
			if f := readForwardBlock(append(block, unq[i+1:]...)); f != nil {
				f.Note = strings.TrimSpace(strings.Join(lines[:i], "\n"))
				return f
			}
		case isForwardSeparator(t):
			start = i + 1
		case fwdSubject && (isOriginalSeparator(t) || isRule(t)):
			start = i + 1
		case fwdSubject:
			if _, _, ok := headerField(t); ok && isHeaderBlock(unq, i) {
				start = i
			}
		}
		if start < 0 {
			continue
		}
		if f := readForwardBlock(unq[start:]); f != nil {
			f.Note = strings.TrimSpace(strings.Join(lines[:i], "\n"))
			return f
		}
		if isForwardSeparator(t) {
			// A separator without a readable header block: still a forward, sender unknown.
			return &Forward{Style: ForwardInline, Note: strings.TrimSpace(strings.Join(lines[:i], "\n")),
				OriginalText: strings.TrimSpace(strings.Join(lines[start:], "\n"))}
		}
	}
	return nil
}

// unquotedLines strips one level of "> " quoting from each line.
func unquotedLines(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		t := strings.TrimLeft(l, " \t")
		if strings.HasPrefix(t, ">") {
			l = strings.TrimPrefix(strings.TrimPrefix(t, ">"), " ")
		}
		out[i] = l
	}
	return out
}

// readForwardBlock reads the header block at the top of lines and the body under it.
func readForwardBlock(lines []string) *Forward {
	f := &Forward{Style: ForwardInline}
	fields := 0
	i := 0
	for ; i < len(lines) && i < 40; i++ {
		t := strings.TrimSpace(lines[i])
		if t == "" {
			if fields == 0 {
				continue
			}
			// One blank line may separate fields (text made from HTML tables).
			if i+1 < len(lines) {
				if _, _, ok := headerField(lines[i+1]); ok {
					continue
				}
			}
			break
		}
		field, value, ok := headerField(t)
		if !ok {
			if fields == 0 {
				return nil
			}
			break
		}
		fields++
		switch field {
		case fieldFrom:
			if f.Original.Email == "" && f.Original.Name == "" {
				f.Original = parseLooseAddress(value)
			}
		case fieldDate:
			if f.OriginalDate == "" {
				f.OriginalDate = value
				if d, err := mail.ParseDate(value); err == nil {
					f.OriginalTime = d.UTC()
				}
			}
		case fieldSubject:
			if f.OriginalSubject == "" {
				f.OriginalSubject = value
			}
		}
	}
	if f.Original.Email == "" && f.Original.Name == "" {
		return nil
	}
	f.OriginalText = strings.TrimSpace(unquote(strings.Join(lines[i:], "\n")))
	return f
}

var (
	looseEmail = regexp.MustCompile(`[^\s<>"'\[\]():;,]+@[^\s<>"'\[\]():;,]+\.[A-Za-z]{2,}`)
	mailtoRef  = regexp.MustCompile(`(?i)[\[(<]\s*mailto:[^\])>]*[\])>]`)
)

// parseLooseAddress reads the From value of a quoted header block: "Ada <ada@x>",
// "ada@x", "Ada Lovelace [mailto:ada@x]", "Ada <mailto:ada@x>", or just a name.
func parseLooseAddress(v string) Address {
	v = strings.TrimSpace(v)
	if list, err := enmime.ParseAddressList(v); err == nil && len(list) > 0 && list[0].Address != "" &&
		!strings.Contains(list[0].Address, ":") {
		return Address{Name: strings.Trim(list[0].Name, "*\"' "), Email: list[0].Address}
	}
	email := looseEmail.FindString(v)
	email = strings.TrimPrefix(strings.TrimPrefix(email, "mailto:"), "MAILTO:")
	name := mailtoRef.ReplaceAllString(v, "")
	if email != "" {
		name = strings.ReplaceAll(name, email, "")
	}
	name = strings.Trim(strings.TrimSpace(strings.Trim(name, " <>()[]")), `"'* `)
	name = strings.TrimSpace(strings.TrimSuffix(name, "<"))
	return Address{Name: name, Email: email}
}

// detectForward returns the forward m is, if any: inline in the text, or a message/rfc822 attachment.
func detectForward(m *Mail, root *enmime.Part, lim Limits, embedded int) *Forward {
	if root.ContentType == "multipart/report" || isMailerDaemon(m.From.Email) {
		return nil
	}
	if f := ParseForward(m.Subject, m.Text); f != nil {
		f.Forwarder = m.From
		return f
	}
	if embedded <= 0 {
		return nil
	}
	att := root.DepthMatchFirst(func(p *enmime.Part) bool { return p.ContentType == "message/rfc822" })
	if att == nil {
		return nil
	}
	orig, err := parse(att.Content, lim, embedded-1)
	if err != nil || orig.From.Email == "" {
		return nil
	}
	return &Forward{
		Style:             ForwardAttachment,
		Original:          orig.From,
		Forwarder:         m.From,
		OriginalSubject:   orig.Subject,
		OriginalDate:      orig.Header("Date"),
		OriginalTime:      orig.Date,
		OriginalMessageID: orig.MessageID,
		OriginalText:      orig.Text,
		Note:              m.Text,
	}
}

// separatorRun matches a separator with the header block run into the same
// line, as Yahoo's plain-text part writes it:
// "----- Forwarded Message ----- From: A <a@x>To: B <b@y>Sent: …Subject: …".
var separatorRun = regexp.MustCompile(`^-{2,}\s*([^-]{3,60}?)\s*-{2,}\s*(\S.*)$`)

// runLabels finds the start of each header field in such a run.
var runLabels = regexp.MustCompile(`(From|To|Cc|Sent|Date|Subject|Von|An|Gesendet|Betreff|De|À|Envoyé|Objet|Para|Enviado|Asunto|Van|Aan|Verzonden|Onderwerp|Från|Till|Skickat|Ämne|Da|A|Inviato|Oggetto)\s?:`)

// inlineRun returns the header lines of a separator line with its header block
// run into it, or nil.
func inlineRun(line string) []string {
	sm := separatorRun.FindStringSubmatch(line)
	if sm == nil || !containsAny(strings.ToLower(sm[1]), forwardPhrases) {
		return nil
	}
	rest := sm[2]
	idx := runLabels.FindAllStringIndex(rest, -1)
	if len(idx) == 0 || idx[0][0] != 0 {
		return nil
	}
	out := make([]string, 0, len(idx))
	for k, loc := range idx {
		end := len(rest)
		if k+1 < len(idx) {
			end = idx[k+1][0]
		}
		out = append(out, strings.TrimSpace(rest[loc[0]:end]))
	}
	return out
}
