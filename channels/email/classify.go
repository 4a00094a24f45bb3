package email

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strings"

	"github.com/jhillyerd/enmime"
	"github.com/jhillyerd/enmime/dsn"
)

// Bounce describes a delivery failure report.
type Bounce struct {
	// OriginalMessageID is the Message-ID of the mail that bounced, without angle brackets.
	OriginalMessageID string `json:"original_message_id,omitempty"`
	// Recipient is the address that failed (Final-Recipient).
	Recipient string `json:"recipient,omitempty"`
	// Action is the DSN action: failed, delayed, delivered, relayed or expanded.
	Action string `json:"action,omitempty"`
	// Status is the enhanced status code, e.g. 5.1.1.
	Status string `json:"status,omitempty"`
	// Reason is the diagnostic (the remote server's text) or the status when there is none.
	Reason string `json:"reason"`
	// Permanent reports a definite failure (action failed or status 5.x.x);
	// a delay notice is not permanent.
	Permanent bool `json:"permanent"`
}

// autoReplyReason names the header that makes m an automatic answer (checked
// in order; the first present classifies the mail), "" for none.
func autoReplyReason(m *Mail) string {
	if v := m.Header("Auto-Submitted"); v != "" {
		if token := strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0])); token != "no" {
			return "Auto-Submitted: " + token
		}
	}
	for _, h := range []string{"X-Autoreply", "X-Autorespond"} {
		if v := strings.TrimSpace(m.Header(h)); v != "" && !strings.EqualFold(v, "no") {
			return h + ": " + v
		}
	}
	switch p := strings.ToLower(strings.TrimSpace(m.Header("Precedence"))); p {
	case "bulk", "junk", "auto_reply":
		return "Precedence: " + p
	}
	return ""
}

// noAutoReplyReason names the header by which m asks for no automatic answers
// without being one: a mailing list's (Precedence: list, as Google Groups sends)
// or Exchange's X-Auto-Response-Suppress; "" for none.
func noAutoReplyReason(m *Mail) string {
	if v := strings.TrimSpace(m.Header("X-Auto-Response-Suppress")); v != "" && !strings.EqualFold(v, "none") {
		return "X-Auto-Response-Suppress: " + v
	}
	if p := strings.ToLower(strings.TrimSpace(m.Header("Precedence"))); p == "list" {
		return "Precedence: list"
	}
	return ""
}

// classify sets m.Kind, m.AutoReason and m.Bounce.
func (m *Mail) classify(root *enmime.Part) {
	if b := readBounce(m, root); b != nil {
		m.Kind, m.Bounce = KindBounce, b
		return
	}
	if r := autoReplyReason(m); r != "" {
		m.Kind, m.AutoReason = KindAutoReply, r
		return
	}
	m.Kind, m.NoAutoReply = KindNormal, noAutoReplyReason(m)
}

// isMailerDaemon reports the senders of non-standard bounces.
func isMailerDaemon(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	return local == "mailer-daemon" || local == "postmaster" || local == "mail-daemon"
}

// readBounce returns the bounce m is: a DSN (multipart/report;
// report-type=delivery-status) or a report from MAILER-DAEMON.
func readBounce(m *Mail, root *enmime.Part) *Bounce {
	report := root
	if root.ContentType != "multipart/report" {
		report = root.DepthMatchFirst(func(p *enmime.Part) bool { return p.ContentType == "multipart/report" })
	}
	if report == nil && !isMailerDaemon(m.From.Email) {
		return nil
	}
	b := &Bounce{}
	if report != nil {
		if r, err := dsn.ParseReport(report); err == nil && r != nil {
			fillFromDSN(b, r)
		}
		if b.Action == "" {
			if ds := report.DepthMatchFirst(func(p *enmime.Part) bool {
				return p.ContentType == "message/delivery-status" || p.ContentType == "message/global-delivery-status"
			}); ds != nil {
				fillFromStatus(b, ds.Content)
			}
		}
	} else {
		b.Permanent = true
	}
	if b.OriginalMessageID == "" {
		b.OriginalMessageID = bouncedMessageID(root, m.Text)
	}
	if b.Reason == "" {
		b.Reason = firstLines(m.NewText, 3)
	}
	return b
}

// fillFromDSN copies the first recipient's status from a parsed report.
func fillFromDSN(b *Bounce, r *dsn.Report) {
	for _, rcpt := range r.DeliveryStatus.RecipientDSNs {
		fillRecipient(b, textproto.MIMEHeader(rcpt))
		return
	}
}

// fillFromStatus reads a delivery-status body whose layout dsn.ParseReport did not accept.
func fillFromStatus(b *Bounce, body []byte) {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(body)))
	for range 20 {
		h, err := tp.ReadMIMEHeader()
		if len(h) > 0 && (h.Get("Final-Recipient") != "" || h.Get("Action") != "") {
			fillRecipient(b, h)
			return
		}
		if err != nil {
			return
		}
	}
}

func fillRecipient(b *Bounce, h textproto.MIMEHeader) {
	b.Action = strings.ToLower(strings.TrimSpace(h.Get("Action")))
	b.Status = strings.TrimSpace(h.Get("Status"))
	rcpt := h.Get("Final-Recipient")
	if rcpt == "" {
		rcpt = h.Get("Original-Recipient")
	}
	if _, addr, ok := strings.Cut(rcpt, ";"); ok {
		rcpt = addr
	}
	b.Recipient = strings.TrimSpace(rcpt)
	b.Reason = strings.TrimSpace(h.Get("Diagnostic-Code"))
	if b.Reason == "" {
		b.Reason = b.Status
	}
	b.Permanent = b.Action == "failed" || strings.HasPrefix(b.Status, "5")
}

// bouncedMessageID finds the Message-ID of the returned mail: in an attached
// message/rfc822 or text/rfc822-headers part, else in a "Message-ID:" line of the text.
func bouncedMessageID(root *enmime.Part, text string) string {
	part := root.DepthMatchFirst(func(p *enmime.Part) bool {
		return p.ContentType == "message/rfc822" || p.ContentType == "text/rfc822-headers" ||
			p.ContentType == "message/global" || p.ContentType == "message/global-headers"
	})
	if part != nil {
		tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(part.Content)))
		if h, _ := tp.ReadMIMEHeader(); h != nil {
			if id := firstID(h.Get("Message-Id")); id != "" {
				return id
			}
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && strings.EqualFold(k, "Message-ID") {
			if id := firstID(v); id != "" {
				return id
			}
		}
	}
	return ""
}

// firstLines returns the first n non-blank lines of s, joined by spaces.
func firstLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" {
			out = append(out, t)
			if len(out) == n {
				break
			}
		}
	}
	return strings.Join(out, " ")
}
