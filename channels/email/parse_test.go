package email

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseHeaders(t *testing.T) {
	m := parseFile(t, "reply_gmail_en.eml")
	if m.MessageID != "CAB1x2y3=reply@mail.gmail.com" {
		t.Errorf("MessageID = %q", m.MessageID)
	}
	if len(m.InReplyTo) != 1 || m.InReplyTo[0] != "out-1@acme.test" {
		t.Errorf("InReplyTo = %q", m.InReplyTo)
	}
	if strings.Join(m.References, " ") != "first@example.org out-1@acme.test" {
		t.Errorf("References = %q", m.References)
	}
	if len(m.DeliveredTo) != 1 || m.DeliveredTo[0].Email != "support@acme.test" {
		t.Errorf("DeliveredTo = %+v", m.DeliveredTo)
	}
	if want := time.Date(2023, 1, 3, 9, 15, 0, 0, time.UTC); !m.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", m.Date, want)
	}
	if m.To[0].Name != "Acme Support" {
		t.Errorf("To = %+v", m.To)
	}
	if ref, ok := ThreadRef(m, "support@acme.test"); !ok || ref != "1042" {
		t.Errorf("ThreadRef = %q, %v", ref, ok)
	}
	plus := parseFile(t, "new_plain_encoded_from.eml")
	if tok, ok := PlusToken(plus, "support@acme.test"); !ok || tok != "sales" {
		t.Errorf("plus token = %q, %v", tok, ok)
	}
}

func TestParseSanitisesHTML(t *testing.T) {
	m := parseFile(t, "html_only_unsafe.eml")
	for _, bad := range []string{"<script", "alert", "onload", "onerror", "<iframe", "<object", "javascript:", "<form",
		"<input", "<style", "steal"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("sanitised HTML still contains %q: %s", bad, m.HTML)
		}
	}
	if !strings.Contains(m.HTML, `href="https://acme.test/help"`) || !strings.Contains(m.HTML, "<b>in</b>") {
		t.Errorf("sanitising lost safe content: %s", m.HTML)
	}
	if m.Text == "" || strings.Contains(m.Text, "<p>") {
		t.Errorf("text derived from HTML = %q", m.Text)
	}
	inline := parseFile(t, "inline_image.eml")
	if !strings.Contains(inline.HTML, `src="cid:ii_lcx1@example.com"`) {
		t.Errorf("cid: reference dropped: %s", inline.HTML)
	}
}

func TestParseAttachments(t *testing.T) {
	m := parseFile(t, "attachments_nested.eml")
	if len(m.Attachments) != 2 {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	pdf := m.Attachments[0]
	sum := sha256.Sum256(pdf.Content)
	if pdf.Name != "receipt-1.pdf" || pdf.ContentType != "application/pdf" || pdf.Size != len(pdf.Content) ||
		pdf.SHA256 != hex.EncodeToString(sum[:]) || pdf.Inline || !strings.HasPrefix(string(pdf.Content), "%PDF-1.4") {
		t.Errorf("pdf = %+v", pdf)
	}
	if txt := m.Attachments[1]; txt.Name != "nötes.txt" || string(txt.Content) != "line one" {
		t.Errorf("text attachment = %+v (%q)", txt, txt.Content)
	}
	if !strings.Contains(m.HTML, "Two receipts attached.") || m.Text != "Two receipts attached." {
		t.Errorf("bodies: text %q html %q", m.Text, m.HTML)
	}
	img := parseFile(t, "inline_image.eml").Attachments
	if len(img) != 1 || !img[0].Inline || img[0].ContentID != "ii_lcx1@example.com" || img[0].ContentType != "image/png" ||
		!strings.HasPrefix(string(img[0].Content), "\x89PNG") {
		t.Errorf("inline image = %+v", img)
	}
}

func TestParseForwardDetails(t *testing.T) {
	f := parseFile(t, "fwd_gmail_en.eml").Forward
	if f.Original.Name != "Ada Lovelace" || f.OriginalDate != "Sun, 8 Jan 2023 at 22:14" ||
		f.Note != "Can someone take this one?" || f.OriginalText != "My charger stopped working after two days." {
		t.Errorf("gmail forward = %+v", f)
	}
	f = parseFile(t, "fwd_outlook_legacy_mailto.eml").Forward
	if f.Original != (Address{Name: "Margaret Hamilton", Email: "margaret@example.com"}) {
		t.Errorf("outlook [mailto:] sender = %+v", f.Original)
	}
	f = parseFile(t, "fwd_thunderbird_en.eml").Forward
	if want := time.Date(2023, 1, 13, 10, 20, 0, 0, time.UTC); !f.OriginalTime.Equal(want) {
		t.Errorf("thunderbird original time = %v", f.OriginalTime)
	}
	f = parseFile(t, "fwd_attachment_rfc822.eml").Forward
	if f.OriginalMessageID != "orig-attached@example.org" || f.Original.Name != "Grace Hopper" {
		t.Errorf("attachment forward = %+v", f)
	}
	// A reply quoting an Outlook header block is not a forward: its subject is not one.
	if parseFile(t, "reply_outlook_de.eml").Forward != nil {
		t.Error("an Outlook reply was taken for a forward")
	}
}

func TestParseBounces(t *testing.T) {
	cases := []struct {
		file, msgID, rcpt, status, reason string
		permanent                         bool
	}{
		{"bounce_postfix_dsn.eml", "reply-77.abc@acme.test", "nobody@example.org", "5.1.1", "User unknown", true},
		{"bounce_exchange_headers.eml", "reply-78.def@acme.test", "gone@example.com", "5.4.1", "Access denied", true},
		{"bounce_delayed.eml", "reply-79@acme.test", "slow@example.com", "4.4.7", "4.4.7", false},
		{"bounce_mailer_daemon_plain.eml", "reply-80.ghi@acme.test", "", "", "could not be delivered", true},
	}
	for _, c := range cases {
		b := parseFile(t, c.file).Bounce
		if b == nil {
			t.Errorf("%s: no bounce", c.file)
			continue
		}
		if b.OriginalMessageID != c.msgID || b.Recipient != c.rcpt || b.Status != c.status ||
			!strings.Contains(b.Reason, c.reason) || b.Permanent != c.permanent {
			t.Errorf("%s: bounce = %+v", c.file, b)
		}
	}
	if b := parseFile(t, "auto_outlook_oof.eml").Bounce; b != nil {
		t.Errorf("out-of-office taken for a bounce: %+v", b)
	}
}

func TestAutoReplyHeaders(t *testing.T) {
	cases := map[string]Kind{
		"Auto-Submitted: auto-generated":  KindAutoReply,
		"Auto-Submitted: auto-replied; x": KindAutoReply,
		"Auto-Submitted: No":              KindNormal,
		"X-Autoreply: yes":                KindAutoReply,
		"X-Autorespond: vacation":         KindAutoReply,
		"Precedence: junk":                KindAutoReply,
		// A list's mail and Exchange's suppression header ask for no automatic answers: still a person's mail.
		"Precedence: list":              KindNormal,
		"Precedence: first-class":       KindNormal,
		"X-Auto-Response-Suppress: OOF": KindNormal,
		"X-Auto-Response-Suppress: All": KindNormal,
		"X-Mailer: Outlook":             KindNormal,
	}
	for header, want := range cases {
		raw := "From: a@example.com\r\nTo: support@acme.test\r\nSubject: s\r\n" + header + "\r\n\r\nbody\r\n"
		m, err := Parse([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != want {
			t.Errorf("%s: Kind = %s, want %s", header, m.Kind, want)
		}
		if asks := strings.HasPrefix(header, "Precedence: list") || strings.HasPrefix(header, "X-Auto-Response-Suppress"); asks != (m.NoAutoReply != "") {
			t.Errorf("%s: NoAutoReply = %q", header, m.NoAutoReply)
		}
	}
}

func TestParseLimits(t *testing.T) {
	small := Limits{MaxBytes: 1000, MaxParts: 10, MaxDepth: 4}
	big := "From: a@example.com\r\nSubject: big\r\n\r\n" + strings.Repeat("x", 2000)
	if _, err := ParseWithLimits([]byte(big), small); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxBytes: err = %v", err)
	}
	var many strings.Builder
	many.WriteString("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := range 20 {
		fmt.Fprintf(&many, "--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	many.WriteString("--b--\r\n")
	if _, err := ParseWithLimits([]byte(many.String()), Limits{MaxParts: 10}); !errors.Is(err, ErrTooComplex) {
		t.Errorf("over MaxParts: err = %v", err)
	}
	if _, err := ParseWithLimits([]byte(many.String()), Limits{MaxParts: 30}); err != nil {
		t.Errorf("under MaxParts: err = %v", err)
	}
	if _, err := ParseWithLimits(nested(10), Limits{MaxDepth: 5}); !errors.Is(err, ErrTooComplex) {
		t.Errorf("over MaxDepth: err = %v", err)
	}
	if _, err := ParseWithLimits(nested(3), Limits{MaxDepth: 5}); err != nil {
		t.Errorf("under MaxDepth: err = %v", err)
	}
	// Thousands of nested boundaries are refused before the recursive MIME parser sees them.
	if _, err := Parse(nested(5000)); !errors.Is(err, ErrTooComplex) {
		t.Errorf("deeply nested: err = %v", err)
	}
}

// nested returns a message with depth levels of nested multipart.
func nested(depth int) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\ndeep\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

func TestIsFromOwnAddress(t *testing.T) {
	m := &Mail{From: Address{Email: "Support+T-5@ACME.test"}}
	if !m.IsFrom("support@acme.test") {
		t.Error("own plus-address not recognised")
	}
	if m.IsFrom("sales@acme.test") {
		t.Error("other address taken for ours")
	}
}
