package imports_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/routedesk/routedesk/store"
)

// mailWithFiles is a mail with a PDF, an inline image and a Latin-1 subject, as a mail client sends it.
func mailWithFiles(id string, at time.Time) string {
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 invoice of " + id))
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n image of " + id))
	return fmt.Sprintf("From: Customer <%s@example.org>\r\nTo: attachments@acme.test\r\nSubject: Rechnung f\xfcr %s\r\nDate: %s\r\nMessage-ID: <%s@example.org>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"+
		"--b1\r\nContent-Type: multipart/related; boundary=\"b2\"\r\n\r\n"+
		"--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See <img src=\"cid:logo@x\"></p>\r\n"+
		"--b2\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b2--\r\n"+
		"--b1\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n",
		id, id, at.Format(time.RFC1123Z), id, png, pdf)
}

// attachmentsOf lists the stored attachments of the channel's message with the external id.
func (s *stack) attachmentsOf(ch, externalID string) []store.Attachment {
	s.t.Helper()
	var list []store.Attachment
	if err := s.st.DB().Select(&list, `SELECT a.n, a.name, a.content_type, a.size, a.sha256, a.inline, a.content_id, a.content, a.omitted
		FROM message_attachments a JOIN messages m ON m.id = a.message_id WHERE m.channel_id = $1 AND m.external_id = $2 ORDER BY a.n`, ch, externalID); err != nil {
		s.t.Fatal(err)
	}
	return list
}

// testBackfillAttachments: the IMAP backfill keeps a mail's attachments (history and a
// recent routed mail alike) as live mail does, and reads its raw 8-bit subject.
func testBackfillAttachments(t *testing.T, s *stack) {
	m := newMailServer(t, "u")
	now := time.Now()
	for id, at := range map[string]time.Time{"att-old": now.AddDate(0, 0, -3), "att-new": now.Add(-time.Hour)} {
		if _, err := m.user.Append("INBOX", strings.NewReader(mailWithFiles(id, at)), &imap.AppendOptions{Time: at}); err != nil {
			t.Fatal(err)
		}
	}
	token := s.account("imap-attachments")
	ch := s.emailChannel(token, "attachments@acme.test", m, map[string]any{"include_history": true})
	v := s.wait(token, s.mailboxImport(token, ch), 90*time.Second)
	if v.State != store.ImportCompleted || v.Imported != 2 {
		t.Fatalf("backfill = %+v", v)
	}
	for _, id := range []string{"att-old", "att-new"} {
		list := s.attachmentsOf(ch, id+"@example.org")
		if len(list) != 2 {
			t.Fatalf("%s: %d attachments stored, want 2", id, len(list))
		}
		var names []string
		for _, a := range list {
			names = append(names, fmt.Sprintf("%s|%s|%v|%s", a.Name, a.ContentType, a.Inline, a.Content))
		}
		want := []string{"invoice.pdf|application/pdf|false|%PDF-1.4 invoice of " + id, "|image/png|true|\x89PNG\r\n\x1a\n image of " + id}
		if strings.Join(names, ";") != strings.Join(want, ";") {
			t.Errorf("%s attachments %q", id, names)
		}
		var subject string
		if err := s.st.DB().Get(&subject, `SELECT subject FROM messages WHERE channel_id = $1 AND external_id = $2`, ch, id+"@example.org"); err != nil || subject != "Rechnung für "+id {
			t.Errorf("%s subject %q %v", id, subject, err)
		}
	}
}

// TestNDJSONImportAttachments: an NDJSON message's attachments (base64) are stored and
// listed like live mail's; a bad one is reported by field and its line skipped.
func TestNDJSONImportAttachments(t *testing.T) {
	s := newStack(t)
	token := s.account("ndjson-attachments")
	ch := s.channel(token, map[string]any{"type": "chat", "name": "Chat"})
	line := func(extID string, atts []map[string]any) string {
		b, _ := json.Marshal(map[string]any{"external_id": extID, "contact": map[string]any{"email": "grace@example.org"},
			"messages": []map[string]any{{"external_id": extID + "-1", "direction": "inbound", "text": "see attached",
				"sent_at": "2025-03-02T09:00:00Z", "attachments": atts}}})
		return string(b)
	}
	body := line("c1", []map[string]any{
		{"name": "receipt.txt", "content_type": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte("paid"))},
		{"name": "logo.png", "content_type": "image/png", "data": base64.StdEncoding.EncodeToString([]byte("\x89PNG")), "inline": true, "content_id": "logo@x"},
	}) + "\n" + line("c2", []map[string]any{{"name": "x", "data": "not base64!"}}) + "\n"
	r := s.upload(token, ch, "", "application/x-ndjson", []byte(body))
	if r.Status != http.StatusAccepted {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var started struct {
		ImportID string `json:"import_id"`
	}
	r.JSON(t, &started)
	v := s.wait(token, started.ImportID, 90*time.Second)
	if v.Imported != 1 || v.Skipped != 1 || len(v.Errors) != 1 || !strings.Contains(v.Errors[0].Message, "messages[0].attachments[0].data") {
		t.Fatalf("import = %+v", v)
	}
	list := s.attachmentsOf(ch, "c1-1")
	if len(list) != 2 || list[0].Name != "receipt.txt" || string(list[0].Content) != "paid" || list[0].Omitted ||
		list[1].Name != "logo.png" || !list[1].Inline || list[1].ContentID != "logo@x" || string(list[1].Content) != "\x89PNG" {
		t.Fatalf("stored attachments %+v", list)
	}
}
