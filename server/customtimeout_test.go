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
	"github.com/routedesk/routedesk/workflows"
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

// TestCustomReceiptsBeforeTheAnswerAndFailed: an app that reports "delivered" before it answers
// the outbound POST keeps its reply delivered (the 200 that follows does not set it back to
// sent); a "failed" receipt fails the reply with the app's error as its reason.
func TestCustomReceiptsBeforeTheAnswerAndFailed(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	var receipt func(id string) // set once the channel and its key exist
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		if id, _ := m["message_id"].(string); id != "" && m["text"] == "Delivered at once" {
			receipt(id)
		}
	}))
	t.Cleanup(app.Close)
	ch := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Bridge",
		"config": map[string]any{"app_name": "Bridge", "outbound_url": app.URL + "/hook"}})
	key := s.Do(http.MethodPost, "/v1/channels/"+ch+"/keys", token, nil).Map(t)["key"].(string)
	path := "/v1/channels/" + ch + "/receipts"
	receipt = func(id string) {
		r := s.Do(http.MethodPost, path, key, map[string]any{"message_id": id, "status": "delivered"})
		if r.Status != http.StatusOK {
			t.Errorf("receipt during the POST: %d %s", r.Status, r.Body)
		}
	}
	in := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", key, map[string]any{"external_id": "m-1",
		"from": map[string]any{"external_user_id": "u-7"}, "text": "Hello"})
	require.Equal(t, http.StatusAccepted, in.Status, string(in.Body))
	ticket := waitTicket(t, s, token, "channel_id="+ch)["id"].(string)
	status := func(id string) (string, string) {
		var st, reason string
		require.NoError(t, s.Store.DB().QueryRow(`SELECT status, COALESCE(failure_reason, '') FROM messages WHERE id = $1`, id).Scan(&st, &reason))
		return st, reason
	}

	reply := s.Do(http.MethodPost, "/v1/tickets/"+ticket+"/replies", token, map[string]any{"text": "Delivered at once"})
	require.Equal(t, http.StatusCreated, reply.Status, string(reply.Body))
	first := reply.Map(t)["message_id"].(string)
	testenv.Eventually(t, 10*time.Second, "the receipt applied", func() bool { st, _ := status(first); return st != "queued" })
	testenv.WorkflowClosed(t, s.Temporal, workflows.DeliveryWorkflowID(first, 0), 10*time.Second) // the send activity has finished
	st, _ := status(first)
	require.Equal(t, "delivered", st, "the app's receipt is not undone by its 200")

	reply = s.Do(http.MethodPost, "/v1/tickets/"+ticket+"/replies", token, map[string]any{"text": "Blocked"})
	require.Equal(t, http.StatusCreated, reply.Status, string(reply.Body))
	second := reply.Map(t)["message_id"].(string)
	testenv.Eventually(t, 10*time.Second, "the reply sent", func() bool { st, _ := status(second); return st == "sent" })
	r := s.Do(http.MethodPost, path, key, map[string]any{"message_id": second, "status": "failed", "error": "the user blocked the bot"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "failed", r.Map(t)["status"])
	st, reason := status(second)
	require.Equal(t, "failed", st)
	require.Equal(t, "the user blocked the bot", reason)
	require.Equal(t, "failed", lastMessage(t, s, token, ticket)["status"])
	// A receipt for a message of another channel is not found there.
	other := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Other", "config": map[string]any{"app_name": "Other"}})
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodPost, "/v1/channels/"+other+"/receipts", token,
		map[string]any{"message_id": second, "status": "read"}).Status)
}
