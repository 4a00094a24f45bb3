package emailtest_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
)

// upload is one part of a multipart reply: a field when name is "", else a file.
type upload struct {
	field, name, contentType string
	content                  []byte
}

// postMultipart posts a multipart/form-data reply to the ticket.
func postMultipart(t *testing.T, d *desk, ticketID, token string, parts []upload) testenv.Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.name == "" {
			h.Set("Content-Disposition", `form-data; name="`+p.field+`"`)
		} else {
			h.Set("Content-Disposition", `form-data; name="`+p.field+`"; filename="`+p.name+`"`)
		}
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write(p.content)
	}
	_ = w.Close()
	req, err := http.NewRequest(http.MethodPost, d.HTTP.URL+"/v1/tickets/"+ticketID+"/replies", &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: b.Bytes()}
}

// TestReplyWithFiles: a multipart reply's files go out as MIME attachment parts of the reply
// mail (names, types and bytes as uploaded, through the in-process SMTP server), and are stored
// with the reply like an inbound mail's: listed and downloadable.
func TestReplyWithFiles(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	r := d.postRaw(t, firstMail)
	if r.Status != http.StatusAccepted {
		t.Fatalf("raw mail: %d %s", r.Status, r.Body)
	}
	tk := d.ticketOf(t, r.Map(t)["conversation_id"].(string))

	pdf := append([]byte("%PDF-1.4\n"), 0, 1, 2, 0xff, 0xfe, '\r', '\n', 0x80)
	note := []byte("Grüße aus Berlin\n")
	rep := postMultipart(t, d, tk.ID, d.agentToken, []upload{
		{field: "text", content: []byte("Here is the invoice.")},
		{field: "files", name: "invoice.pdf", contentType: "application/pdf", content: pdf},
		{field: "files", name: "Grüße.txt", content: note},
	})
	if rep.Status != http.StatusCreated {
		t.Fatalf("multipart reply: %d %s", rep.Status, rep.Body)
	}
	msgID := rep.Map(t)["message_id"].(string)

	sent, _ := d.sent(t, "Here is the invoice.")
	mr, err := mail.CreateReader(strings.NewReader(sent.Data))
	if err != nil {
		t.Fatal(err)
	}
	type part struct {
		name, ctype string
		body        []byte
	}
	var files []part
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if h, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, _ := h.Filename()
			ct, _, _ := h.ContentType()
			var b bytes.Buffer
			_, _ = b.ReadFrom(p.Body)
			files = append(files, part{name, ct, b.Bytes()})
		}
	}
	if len(files) != 2 {
		t.Fatalf("the mail has %d attachment parts, want 2: %s", len(files), sent.Data)
	}
	if files[0].name != "invoice.pdf" || files[0].ctype != "application/pdf" || !bytes.Equal(files[0].body, pdf) {
		t.Errorf("first part %q %q %q", files[0].name, files[0].ctype, files[0].body)
	}
	if files[1].name != "Grüße.txt" || !strings.HasPrefix(files[1].ctype, "text/plain") || !bytes.Equal(files[1].body, note) {
		t.Errorf("second part %q %q %q", files[1].name, files[1].ctype, files[1].body)
	}

	var list struct {
		Items []struct {
			N           int    `json:"n"`
			Name        string `json:"name"`
			ContentType string `json:"content_type"`
			Size        int    `json:"size"`
			Omitted     bool   `json:"omitted"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	d.Do(http.MethodGet, "/v1/messages/"+msgID+"/attachments", d.agentToken, nil).JSON(t, &list)
	if len(list.Items) != 2 || list.Items[0].Name != "invoice.pdf" || list.Items[0].Size != len(pdf) || list.Items[1].Name != "Grüße.txt" {
		t.Fatalf("the reply's attachments: %+v", list.Items)
	}
	dl := d.Do(http.MethodGet, "/v1/messages/"+msgID+"/attachments/0", d.agentToken, nil)
	if dl.Status != http.StatusOK || !bytes.Equal(dl.Body, pdf) {
		t.Fatalf("download: %d %q", dl.Status, dl.Body)
	}
	testenv.Eventually(t, 10*time.Second, "the reply marked sent", func() bool {
		for _, m := range d.messages(t, tk.ID) {
			if m.ID == msgID {
				return m.Status == domain.MessageSent
			}
		}
		return false
	})
	// Storing the reply claimed every upload.
	var n int
	if err := d.Store.DB().QueryRow(`SELECT count(*) FROM reply_uploads`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d uploads left unclaimed (%v)", n, err)
	}
}

// TestReplyFilesRefused: each malformed or over-limit multipart reply is a 4xx problem naming
// its field, and stores nothing.
func TestReplyFilesRefused(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	r := d.postRaw(t, firstMail)
	if r.Status != http.StatusAccepted {
		t.Fatalf("raw mail: %d %s", r.Status, r.Body)
	}
	tk := d.ticketOf(t, r.Map(t)["conversation_id"].(string))
	text := upload{field: "text", content: []byte("Hi")}
	many := []upload{text}
	for range 11 {
		many = append(many, upload{field: "files", name: "a.txt", content: []byte("a")})
	}
	cases := []struct {
		name   string
		parts  []upload
		status int
		field  string
	}{
		{"over the file limit", []upload{text, {field: "files", name: "big.bin", content: make([]byte, 10<<20+1)}}, http.StatusRequestEntityTooLarge, "files[0]"},
		{"over the mail's total", []upload{text, {field: "files", name: "a.bin", content: make([]byte, 10<<20)},
			{field: "files", name: "b.bin", content: make([]byte, 9<<20)}}, http.StatusRequestEntityTooLarge, "files"},
		{"too many files", many, http.StatusUnprocessableEntity, "files"},
		{"an executable", []upload{text, {field: "files", name: "setup.EXE", content: []byte("MZ")}}, http.StatusUnprocessableEntity, "files[0]"},
		{"an empty file", []upload{text, {field: "files", name: "empty.txt"}}, http.StatusUnprocessableEntity, "files[0]"},
		{"a nameless file", []upload{text, {field: "files", name: "", content: []byte("x")}}, http.StatusUnprocessableEntity, "files"},
		{"an unknown part", []upload{text, {field: "attachment", content: []byte("x")}}, http.StatusUnprocessableEntity, "attachment"},
		{"NUL in text", []upload{{field: "text", content: []byte("a\x00b")}}, http.StatusUnprocessableEntity, "text"},
		{"a bad reply part", []upload{{field: "reply", content: []byte(`{"text": 1}`)}}, http.StatusUnprocessableEntity, "text"},
		{"reply and text", []upload{{field: "reply", content: []byte(`{"text": "a"}`)}, text}, http.StatusUnprocessableEntity, "reply"},
		{"nothing to send", []upload{}, http.StatusUnprocessableEntity, "text"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := postMultipart(t, d, tk.ID, d.agentToken, c.parts)
			if res.Status != c.status {
				t.Fatalf("%d %s, want %d", res.Status, res.Body, c.status)
			}
			var p struct {
				Errors []domain.FieldError `json:"errors"`
			}
			res.JSON(t, &p)
			if len(p.Errors) == 0 || !strings.HasPrefix(p.Errors[0].Field, c.field) {
				t.Fatalf("errors %+v, want field %s", p.Errors, c.field)
			}
		})
	}
	for _, raw := range []struct{ ctype, body string }{
		{"multipart/form-data", "--x\r\n"},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhi"},
		{"multipart/form-data; boundary=x", "garbage \x00\xff"},
	} {
		req, _ := http.NewRequest(http.MethodPost, d.HTTP.URL+"/v1/tickets/"+tk.ID+"/replies", strings.NewReader(raw.body))
		req.Header.Set("Content-Type", raw.ctype)
		req.Header.Set("Authorization", "Bearer "+d.agentToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%q %q: %d %s, want a 4xx problem", raw.ctype, raw.body, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	for _, m := range d.messages(t, tk.ID) {
		if m.Direction == "outbound" {
			t.Fatalf("a refused reply was stored: %+v", m)
		}
	}
	var n int
	if err := d.Store.DB().QueryRow(`SELECT count(*) FROM reply_uploads`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d uploads stored for refused replies (%v)", n, err)
	}
}
