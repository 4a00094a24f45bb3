package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/workflows"
)

// appFake is a custom app's outbound_url: it answers with the queued statuses, then 200.
type appFake struct {
	mu       sync.Mutex
	answers  []int
	bodies   []map[string]any
	refusals string
}

func (f *appFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies = append(f.bodies, m)
	status := http.StatusOK
	if len(f.answers) > 0 {
		status, f.answers = f.answers[0], f.answers[1:]
	}
	w.WriteHeader(status)
	if status >= 400 {
		_, _ = io.WriteString(w, f.refusals)
	}
}

func (f *appFake) posts() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.bodies...)
}

func TestCustomAppOutboundRetriesAndReceipts(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	app := &appFake{answers: []int{http.StatusServiceUnavailable}, refusals: "unknown chat tg-chat-1"}
	hs := httptest.NewServer(app)
	t.Cleanup(hs.Close)
	ch := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Telegram bridge",
		"config": map[string]any{"app_name": "Telegram", "outbound_url": hs.URL + "/hook", "secret": "s3cret"}})
	key := s.Do(http.MethodPost, "/v1/channels/"+ch+"/keys", token, nil).Map(t)["key"].(string)

	in := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", key, map[string]any{"external_id": "tg-1", "thread_id": "tg-chat-1",
		"from": map[string]any{"external_user_id": "tg-42", "name": "Ada"}, "text": "Hi from Telegram"})
	require.Equal(t, http.StatusAccepted, in.Status, string(in.Body))
	ticket := waitTicket(t, s, token, "channel_id="+ch)["id"].(string)

	// A 5xx is retried with backoff; the payload carries what the app needs to deliver.
	reply := s.Do(http.MethodPost, "/v1/tickets/"+ticket+"/replies", token, map[string]any{"text": "Hello Ada"})
	require.Equal(t, http.StatusCreated, reply.Status, string(reply.Body))
	msgID := reply.Map(t)["message_id"].(string)
	testenv.Eventually(t, 15*time.Second, "the retried post", func() bool { return len(app.posts()) >= 2 })
	p := app.posts()[1]
	require.Equal(t, "tg-chat-1", p["thread_id"])
	require.Equal(t, "tg-42", p["external_user_id"])
	require.Equal(t, msgID, p["message_id"])
	require.Equal(t, "Hello Ada", p["text"])
	status := func(id string) (string, string) {
		var st, reason string
		require.NoError(t, s.Store.DB().QueryRow(`SELECT status, COALESCE(failure_reason, '') FROM messages WHERE id = $1`, id).Scan(&st, &reason))
		return st, reason
	}
	testenv.Eventually(t, 10*time.Second, "the reply sent", func() bool { st, _ := status(msgID); return st == "sent" })

	// Receipts move the reply forward only.
	path := "/v1/channels/" + ch + "/receipts"
	r := s.Do(http.MethodPost, path, key, map[string]any{"message_id": msgID, "status": "delivered"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "delivered", r.Map(t)["status"])
	require.Equal(t, "read", s.Do(http.MethodPost, path, key, map[string]any{"message_id": msgID, "status": "read"}).Map(t)["status"])
	late := s.Do(http.MethodPost, path, key, map[string]any{"message_id": msgID, "status": "delivered"}).Map(t)
	require.Equal(t, true, late["ignored"])
	require.Equal(t, "read", late["status"])
	st, _ := status(msgID)
	require.Equal(t, "read", st)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodPost, path, key, map[string]any{"message_id": "msg_nope", "status": "read"}).Status)
	bad := s.Do(http.MethodPost, path, key, map[string]any{"message_id": msgID, "status": "lost"})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	require.Contains(t, string(bad.Body), `"status"`)

	// A 4xx is permanent: failed with the app's answer, not retried.
	app.mu.Lock()
	app.answers = []int{http.StatusBadRequest}
	app.mu.Unlock()
	before := len(app.posts())
	reply = s.Do(http.MethodPost, "/v1/tickets/"+ticket+"/replies", token, map[string]any{"text": "Still there?"})
	require.Equal(t, http.StatusCreated, reply.Status, "a refusal is the reply's status, not a 502: %s", reply.Body)
	require.Equal(t, "failed", reply.Map(t)["status"])
	require.Contains(t, reply.Map(t)["failure_reason"], "unknown chat tg-chat-1")
	var failedID string
	require.NoError(t, s.Store.DB().Get(&failedID, `SELECT id FROM messages WHERE direction = 'outbound' AND text = 'Still there?'`))
	testenv.Eventually(t, 10*time.Second, "the refused reply failed", func() bool { st, _ := status(failedID); return st == "failed" })
	_, reason := status(failedID)
	require.Contains(t, reason, "unknown chat tg-chat-1")
	testenv.WorkflowClosed(t, s.Temporal, workflows.DeliveryWorkflowID(failedID, 0), 10*time.Second)
	require.Equal(t, before+1, len(app.posts()), "a refusal is not retried")
	require.True(t, strings.HasPrefix(msgID, "msg_"))
}
