package chat_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// replyWithFile posts an agent's reply with one file as multipart/form-data.
func (e chatEnv) replyWithFile(ticketID, text, name string, content []byte) {
	e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	require.NoError(e.t, w.WriteField("text", text))
	fw, err := w.CreateFormFile("files", name)
	require.NoError(e.t, err)
	_, _ = fw.Write(content)
	require.NoError(e.t, w.Close())
	r := e.call(http.MethodPost, "/v1/tickets/"+ticketID+"/replies", e.admin, buf.String(), "Content-Type", w.FormDataContentType())
	require.Equal(e.t, http.StatusCreated, r.Status, string(r.Body))
}

// TestReplyFilesAreSignedLinks: an agent's file reaches the visitor as a link in the message list
// that downloads it without a token; the link is bound to its channel and cannot be altered.
func TestReplyFilesAreSignedLinks(t *testing.T) {
	e := newChatEnv(t, map[string]any{})
	other := addChat(t, e.s, e.admin, map[string]any{})
	tok, _ := e.session(e.ch, nil)
	first := e.send(e.ch, tok, "c1", "Can I have the manual?", http.StatusAccepted)
	ticket := e.ticketOf(first["id"].(string))
	manual := []byte("%PDF-1.4 manual \x00\xff")
	e.replyWithFile(ticket["id"].(string), "Here it is.", "manual.pdf", manual)

	var file map[string]any
	testenv.Eventually(t, 10*time.Second, "the reply with its file in the visitor's list", func() bool {
		for _, m := range e.messages(e.ch, tok, "") {
			if files, ok := m["files"].([]any); ok && m["text"] == "Here it is." && len(files) == 1 {
				file = files[0].(map[string]any)
				return true
			}
		}
		return false
	})
	require.Equal(t, "manual.pdf", file["name"])
	require.Equal(t, "application/pdf", file["content_type"])
	require.EqualValues(t, len(manual), file["size"])
	url := file["url"].(string)
	require.True(t, strings.HasPrefix(url, "/chat/v1/"+e.ch+"/files/"), url)

	got := e.call(http.MethodGet, url, "", nil)
	require.Equal(t, http.StatusOK, got.Status, string(got.Body))
	require.Equal(t, manual, got.Body)
	require.Contains(t, got.Header.Get("Content-Disposition"), `attachment; filename=manual.pdf`)

	tampered := url[:len(url)-2] + map[bool]string{true: "BB", false: "AA"}[strings.HasSuffix(url, "AA")]
	require.Equal(t, http.StatusNotFound, e.call(http.MethodGet, tampered, "", nil).Status)
	onOther := strings.Replace(url, e.ch, other, 1)
	require.Equal(t, http.StatusNotFound, e.call(http.MethodGet, onOther, "", nil).Status, "a link works on its own channel only")
	require.Equal(t, http.StatusNotFound, e.call(http.MethodGet, "/chat/v1/"+e.ch+"/files/x.y", "", nil).Status)
}
