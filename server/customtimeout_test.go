package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels/custom"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestCustomOutboundTimeoutRetriedWithHTML: an outbound_url that does not answer within
// custom.DefaultTimeout is tried again; the payload carries the reply's text and html.
func TestCustomOutboundTimeoutRetriedWithHTML(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	var mu sync.Mutex
	var posts []map[string]any
	released := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		posts = append(posts, m)
		first := len(posts) == 1
		mu.Unlock()
		if first { // the first post hangs past the client's timeout
			select {
			case <-r.Context().Done():
			case <-released:
			}
		}
	}))
	t.Cleanup(app.Close)
	t.Cleanup(func() { close(released) })
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(posts) }

	ch := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Bridge",
		"config": map[string]any{"app_name": "Bridge", "outbound_url": app.URL + "/hook"}})
	in := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{"external_id": "m-1", "thread_id": "chat-7",
		"from": map[string]any{"external_user_id": "u-7"}, "text": "Hello"})
	require.Equal(t, http.StatusAccepted, in.Status, string(in.Body))
	ticket := waitTicket(t, s, token, "channel_id="+ch)["id"].(string)

	reply := s.Do(http.MethodPost, "/v1/tickets/"+ticket+"/replies", token, map[string]any{"text": "Hi there", "html": "<p>Hi <b>there</b></p>"})
	require.Equal(t, http.StatusCreated, reply.Status, string(reply.Body))
	msgID := reply.Map(t)["message_id"].(string)
	testenv.Eventually(t, custom.DefaultTimeout+15*time.Second, "the post after the timeout", func() bool { return count() >= 2 })
	mu.Lock()
	p := posts[1]
	mu.Unlock()
	require.Equal(t, msgID, p["message_id"])
	require.Equal(t, "chat-7", p["thread_id"])
	require.Equal(t, "u-7", p["external_user_id"])
	require.Equal(t, "Hi there", p["text"])
	require.Equal(t, "<p>Hi <b>there</b></p>", p["html"])
	testenv.Eventually(t, 10*time.Second, "the reply sent", func() bool {
		var st string
		require.NoError(t, s.Store.DB().Get(&st, `SELECT status FROM messages WHERE id = $1`, msgID))
		return st == "sent"
	})
	require.Equal(t, 2, count(), "sent once answered, no further posts")
}
