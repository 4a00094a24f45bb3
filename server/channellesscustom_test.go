package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestReplyOpensCustomAppThreadForChannellessTicket: a channel-less ticket's first reply may name
// a custom channel the contact wrote through: the app is posted the reply with the contact's
// external_user_id and thread_id "ticket:<id>", and its answer on that thread_id lands on the
// ticket. A custom channel the contact never wrote through cannot reach them (422 channel_id).
func TestReplyOpensCustomAppThreadForChannellessTicket(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	app := &appFake{}
	hs := httptest.NewServer(app)
	t.Cleanup(hs.Close)
	ch := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Telegram bridge",
		"config": map[string]any{"app_name": "Telegram", "outbound_url": hs.URL + "/hook"}})
	other := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Shop bot", "config": map[string]any{"app_name": "Shop"}})

	in := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{"external_id": "tg-1", "thread_id": "tg-chat-1",
		"from": map[string]any{"external_user_id": "tg-42", "email": "ada@example.com", "name": "Ada"}, "text": "Hi from Telegram"})
	require.Equal(t, http.StatusAccepted, in.Status, string(in.Body))
	contact := waitTicket(t, s, token, "channel_id="+ch)["contact_id"].(string)

	r := s.Do(http.MethodPost, "/v1/tickets", token, map[string]any{"subject": "Your order", "description": "Opened by the shop",
		"contact": map[string]any{"id": contact}, "source": "integration"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	id := r.Map(t)["id"].(string)

	refused := s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"text": "Hello", "channel_id": other})
	require.Equal(t, http.StatusUnprocessableEntity, refused.Status, string(refused.Body))
	require.Contains(t, string(refused.Body), `"channel_id"`)
	require.Contains(t, string(refused.Body), "never written through")

	var reply testenv.Response
	testenv.Eventually(t, 10*time.Second, "the reply taken", func() bool {
		reply = s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"text": "Your order shipped.", "channel_id": ch})
		return reply.Status != http.StatusConflict
	})
	require.Equal(t, http.StatusCreated, reply.Status, string(reply.Body))
	msgID := reply.Map(t)["message_id"].(string)
	tk := s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil).Map(t)
	require.Equal(t, ch, tk["channel_id"])
	conv, _ := tk["conversation_id"].(string)
	require.NotEmpty(t, conv)

	testenv.Eventually(t, 15*time.Second, "the reply at the app", func() bool {
		for _, p := range app.posts() {
			if p["message_id"] == msgID {
				return true
			}
		}
		return false
	})
	var p map[string]any
	for _, q := range app.posts() {
		if q["message_id"] == msgID {
			p = q
		}
	}
	require.Equal(t, "tg-42", p["external_user_id"])
	require.Equal(t, "ticket:"+id, p["thread_id"])
	require.Equal(t, id, p["ticket_id"])
	require.Equal(t, "Your order shipped.", p["text"])

	// The app's answer on that thread_id is the ticket's.
	answer := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{"external_id": "tg-2", "thread_id": "ticket:" + id,
		"from": map[string]any{"external_user_id": "tg-42"}, "text": "Thanks, got it"})
	require.Equal(t, http.StatusAccepted, answer.Status, string(answer.Body))
	require.Equal(t, conv, answer.Map(t)["conversation_id"])
	testenv.Eventually(t, 10*time.Second, "the answer on the ticket", func() bool {
		return strings.Contains(string(s.Do(http.MethodGet, "/v1/tickets/"+id+"/messages", token, nil).Body), "Thanks, got it")
	})
	require.Len(t, ids(t, s.Do(http.MethodGet, "/v1/tickets", token, nil)), 2)
}
