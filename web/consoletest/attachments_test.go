package consoletest

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
)

const mailWithPhoto = "From: Grace Hopper <grace@example.org>\r\nTo: support@acme.test\r\nSubject: Broken part\r\n" +
	"Message-ID: <photo-1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
	"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe part arrived broken, photo attached.\r\n" +
	"--b1\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"photo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
	"iVBORw0KGgpwaG90bw==\r\n--b1--\r\n"

// TestConsoleAttachments: the ticket shows an inbound mail's files (name, type, size, a working
// download; one over the limit marked omitted), and a file attached in the reply box goes out
// with the reply and shows on the sent reply.
func TestConsoleAttachments(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	_, token := st.Account("Files Co", "professional")
	host, port, _ := strings.Cut(st.Mail.Addr, ":")
	r := st.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "email", "name": "Support",
		"config": map[string]any{"address": "support@acme.test", "smtp": map[string]any{"host": host, "port": atoi(t, port), "tls": "none"}}})
	if r.Status != http.StatusCreated {
		t.Fatalf("email channel: %d %s", r.Status, r.Body)
	}
	channelID := r.Map(t)["id"].(string)
	req, _ := http.NewRequest(http.MethodPost, st.HTTP.URL+"/v1/channels/"+channelID+"/email", strings.NewReader(mailWithPhoto))
	req.Header.Set("Content-Type", "message/rfc822")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var accepted struct {
		MessageID string `json:"message_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&accepted)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || accepted.MessageID == "" {
		t.Fatalf("raw mail: %d", resp.StatusCode)
	}
	inbound := accepted.MessageID
	// A file the mail carried over the 10 MB limit is listed without its bytes (as inbound mail stores it).
	if _, err := st.Store.DB().Exec(`INSERT INTO message_attachments (message_id, n, account_id, name, content_type, size, sha256, content, omitted)
		SELECT id, 1, account_id, 'walkthrough.mov', 'video/quicktime', 52428800, '', ''::bytea, true FROM messages WHERE id = $1`, inbound); err != nil {
		t.Fatal(err)
	}
	var ticketID string
	testenv.Eventually(t, 20*time.Second, "the mail's ticket", func() bool {
		var l struct{ Items []struct{ ID string } }
		st.Do(http.MethodGet, "/v1/tickets?channel_id="+channelID, token, nil).JSON(t, &l)
		if len(l.Items) == 1 {
			ticketID = l.Items[0].ID
		}
		return ticketID != ""
	})

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.Do("log in", chromedp.Navigate(st.HTTP.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	p.Until("the queue", `location.hash === '#/queue'`)
	p.open("#/tickets/"+ticketID, "Broken part")
	p.Until("the inbound files", `(() => { const li = [...document.querySelectorAll('.thread li.inbound .attachments li')];
		return li.length === 2 && li[0].textContent.includes('photo.png') && li[0].textContent.includes('image/png · 13 B') && !!li[0].querySelector('button.download')
			&& li[1].dataset.omitted === 'true' && li[1].textContent.includes('walkthrough.mov') && li[1].textContent.includes('50.0 MB')
			&& li[1].querySelector('.badge.omitted') && !li[1].querySelector('button'); })()`)
	p.Do("download the photo", chromedp.Click(chromedp.CSS(`.thread li.inbound .attachments li[data-n="0"] button.download`)))
	p.Until("the download", `document.getElementById('status').textContent === 'Downloaded photo.png.'`)

	dir := t.TempDir()
	note := filepath.Join(dir, "packing-note.txt")
	if err := os.WriteFile(note, []byte("Please return the part in its box.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.Do("attach a file and reply", chromedp.SetUploadFiles(chromedp.CSS(`form.reply input[type=file]`), []string{note}),
		chromedp.SendKeys(chromedp.CSS(`form.reply textarea`), "A new part is on its way."),
		chromedp.Click(chromedp.CSS(`form.reply button[type=submit]`)))
	p.Until("the sent reply with its file", `(() => { const li = document.querySelector('.thread li.outbound');
		return li && li.dataset.status === 'sent' && li.textContent.includes('A new part is on its way.')
			&& li.querySelector('.attachments') && li.querySelector('.attachments').textContent.includes('packing-note.txt'); })()`)
	p.Screenshot("ticket-attachments")
	testenv.Eventually(t, 10*time.Second, "the reply mail with the file", func() bool {
		for _, m := range st.Mail.Received() {
			if strings.Contains(m.Data, "A new part is on its way.") && strings.Contains(m.Data, `filename="packing-note.txt"`) {
				return true
			}
		}
		return false
	})

	// The privacy panel redacts the photo only: its bytes go, the message's text and its other file stay.
	row := `.privacy-messages li[data-message="` + inbound + `"]`
	p.Until("the photo offered for redaction", `!!document.querySelector('`+row+` select.redact-what option[value="0"]') &&
		!document.querySelector('`+row+` select.redact-what option[value="1"]')`)
	p.choose(row+` select.redact-what`, "0")
	p.Do("redact the photo", chromedp.SendKeys(row+` input.redact-reason`, "shows a face"), chromedp.Click(row+` button.redact`))
	p.Until("announced", `document.getElementById('status').textContent === 'File redacted.'`)
	testenv.Eventually(t, 10*time.Second, "the photo's bytes gone, the text kept", func() bool {
		var size int
		var text string
		_ = st.Store.DB().QueryRow(`SELECT a.size, m.text FROM message_attachments a JOIN messages m ON m.id = a.message_id
			WHERE a.message_id = $1 AND a.n = 0`, inbound).Scan(&size, &text)
		return size == 0 && strings.Contains(text, "The part arrived broken")
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a port: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}
