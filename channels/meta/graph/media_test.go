package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels/meta/graph"
)

// formOf decodes a recorded multipart/form-data request: its fields, and its file part.
func formOf(t *testing.T, req recordedRequest) (fields map[string]string, fileField, fileName, fileType string, file []byte) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/form-data", mt)
	fields = map[string]string{}
	mr := multipart.NewReader(bytes.NewReader(req.RawBody), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		require.NoError(t, err)
		b, err := io.ReadAll(p)
		require.NoError(t, err)
		if p.FileName() != "" {
			fileField, fileName, fileType, file = p.FormName(), p.FileName(), p.Header.Get("Content-Type"), b
			continue
		}
		fields[p.FormName()] = string(b)
	}
}

func TestSendMessengerFile(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, `{"recipient_id":"1254459154682919","message_id":"m_file","attachment_id":"att-1"}`)
	png := []byte("\x89PNG\r\n\x1a\n\x00data")

	id, err := f.client().SendMessengerFile(context.Background(), testToken, graph.MessengerFile{PSID: "1254459154682919",
		MessagingType: graph.MessagingTypeMessageTag, Tag: graph.TagHumanAgent,
		File: graph.File{Name: "photo é.png", ContentType: "image/png", Content: png}})
	require.NoError(t, err)
	assert.Equal(t, "m_file", id)

	req := f.only()
	assert.Equal(t, "/v21.0/me/messages", req.Path)
	assert.Equal(t, "Bearer "+testToken, req.Header.Get("Authorization"))
	assert.Empty(t, req.RawQuery, "the token travels in the header only")
	fields, field, name, ctype, body := formOf(t, req)
	assert.JSONEq(t, `{"id":"1254459154682919"}`, fields["recipient"])
	assert.Equal(t, "MESSAGE_TAG", fields["messaging_type"])
	assert.Equal(t, "HUMAN_AGENT", fields["tag"])
	assert.JSONEq(t, `{"attachment":{"type":"image","payload":{"is_reusable":false}}}`, fields["message"])
	assert.Equal(t, "filedata", field)
	assert.Equal(t, "photo é.png", name)
	assert.Equal(t, "image/png", ctype)
	assert.Equal(t, png, body)
}

func TestSendMessengerFileValidation(t *testing.T) {
	f := newFakeGraph(t)
	ctx := context.Background()
	_, err := f.client().SendMessengerFile(ctx, testToken, graph.MessengerFile{PSID: "1", File: graph.File{Name: "a.txt"}})
	require.ErrorIs(t, err, graph.ErrInvalidMessage, "an empty file")
	_, err = f.client().SendMessengerFile(ctx, testToken, graph.MessengerFile{PSID: "1",
		File: graph.File{Name: "a.bin", Content: make([]byte, graph.MaxMessengerFileBytes+1)}})
	require.ErrorIs(t, err, graph.ErrInvalidMessage, "a file over the Send API's limit")
	assert.Empty(t, f.requests())
}

func TestUploadAndSendWhatsAppMedia(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusOK, `{"id":"1037543291543636"}`)
	pdf := []byte("%PDF-1.4 \x00\xff")

	media, err := f.client().UploadWhatsAppMedia(context.Background(), testToken, "106540352242922",
		graph.File{Name: "invoice.pdf", ContentType: "application/pdf", Content: pdf})
	require.NoError(t, err)
	assert.Equal(t, "1037543291543636", media)
	req := f.only()
	assert.Equal(t, "/v21.0/106540352242922/media", req.Path)
	fields, field, name, ctype, body := formOf(t, req)
	assert.Equal(t, map[string]string{"messaging_product": "whatsapp", "type": "application/pdf"}, fields)
	assert.Equal(t, "file", field)
	assert.Equal(t, "invoice.pdf", name)
	assert.Equal(t, "application/pdf", ctype)
	assert.Equal(t, pdf, body)

	f2 := newFakeGraph(t)
	f2.reply(http.StatusOK, whatsAppOK)
	id, err := f2.client().SendWhatsAppMedia(context.Background(), testToken, "106540352242922", "16505551234",
		graph.WhatsAppMedia{Kind: "document", MediaID: media, Filename: "invoice.pdf"})
	require.NoError(t, err)
	assert.Equal(t, "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", id)
	want, _ := json.Marshal(map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234",
		"type": "document", "document": map[string]any{"id": "1037543291543636", "filename": "invoice.pdf"}})
	assert.Equal(t, decode(t, string(want)), f2.only().Body)
}

func TestWhatsAppMediaKind(t *testing.T) {
	for _, c := range []struct {
		ctype string
		size  int
		want  string
	}{
		{"image/png", 1 << 20, "image"},
		{"image/jpeg", graph.MaxWhatsAppImageBytes + 1, "document"}, // over the image limit: sent as a document
		{"image/gif", 100, "document"},
		{"video/mp4", 1 << 20, "video"},
		{"audio/ogg; codecs=opus", 1 << 20, "audio"},
		{"application/pdf", 1 << 20, "document"},
		{"", 10, "document"},
	} {
		assert.Equal(t, c.want, graph.WhatsAppMediaKind(c.ctype, c.size), c.ctype)
	}
	assert.Equal(t, "file", graph.MessengerAttachmentType("application/pdf"))
	assert.Equal(t, "audio", graph.MessengerAttachmentType("audio/mpeg"))
}
