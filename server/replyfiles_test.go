package server_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestReplyFilesOnAChannelWithoutFiles: a custom app's channel takes no files, so a reply with
// some is 422 naming files and nothing is stored or sent; the same reply without files goes out.
func TestReplyFilesOnAChannelWithoutFiles(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	ch := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Bridge", "config": map[string]any{"app_name": "Bridge"}})
	key := s.Do(http.MethodPost, "/v1/channels/"+ch+"/keys", token, nil).Map(t)["key"].(string)
	in := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", key, map[string]any{"external_id": "b-1",
		"from": map[string]any{"external_user_id": "u-1"}, "text": "Hi"})
	require.Equal(t, http.StatusAccepted, in.Status, string(in.Body))
	ticket := waitTicket(t, s, token, "channel_id="+ch)["id"].(string)

	post := func(withFile bool) testenv.Response {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		require.NoError(t, w.WriteField("reply", `{"text": "See attached"}`))
		if withFile {
			fw, err := w.CreateFormFile("files", "a.txt")
			require.NoError(t, err)
			_, _ = fw.Write([]byte("hello"))
		}
		require.NoError(t, w.Close())
		req, err := http.NewRequest(http.MethodPost, s.HTTP.URL+"/v1/tickets/"+ticket+"/replies", &buf)
		require.NoError(t, err)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	}
	r := post(true)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), `"field":"files"`)
	require.Contains(t, string(r.Body), "custom channels cannot carry files")
	var n int
	require.NoError(t, s.Store.DB().Get(&n, `SELECT count(*) FROM messages WHERE direction = 'outbound'`))
	require.Zero(t, n, "a refused reply is not stored")
	require.NoError(t, s.Store.DB().Get(&n, `SELECT count(*) FROM reply_uploads`))
	require.Zero(t, n, "nor are its files")

	r = post(false) // the reply part alone is the JSON body
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
}
