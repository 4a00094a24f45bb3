package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestCallKeysAndClosedTicketCalls: a calling channel's key works on its calls route only
// (another line's → 404, revoked → 401 at once); once the caller's ticket is closed a
// completed call is stored on the conversation but opens nothing, and a missed call opens a follow-up.
func TestCallKeysAndClosedTicketCalls(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	line := createChannel(t, s, token, map[string]any{"type": "calling", "name": "Line", "config": map[string]any{"phone_number": "+46850001234"}})
	other := createChannel(t, s, token, map[string]any{"type": "calling", "name": "Other", "config": map[string]any{"phone_number": "+46850009999"}})
	created := s.Do(http.MethodPost, "/v1/channels/"+line+"/keys", token, nil).Map(t)
	key, keyID := created["key"].(string), created["id"].(string)
	call := func(id, status string) map[string]any {
		return map[string]any{"call_id": id, "from_number": "+46 70 111 22 33", "status": status}
	}

	require.Equal(t, http.StatusNotFound, s.Do(http.MethodPost, "/v1/channels/"+other+"/calls", key, call("x", "missed")).Status)
	require.Equal(t, http.StatusUnauthorized, s.Do(http.MethodGet, "/v1/contacts", key, nil).Status)
	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+line+"/calls", key, call("c1", "missed")).Status)
	ticket := waitTicket(t, s, token, "channel_id="+line)
	id := ticket["id"].(string)

	var closed testenv.Response
	testenv.Eventually(t, 10*time.Second, "the ticket closed", func() bool {
		closed = s.Do(http.MethodPatch, "/v1/tickets/"+id, token, map[string]any{"status": "closed"})
		return closed.Status == http.StatusOK
	})
	status := func() string { return s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil).Map(t)["status"].(string) }
	testenv.Eventually(t, 10*time.Second, "closed", func() bool { return status() == "closed" })

	// A completed call with no open ticket: on the thread, the ticket stays closed, no new one.
	done := s.Do(http.MethodPost, "/v1/channels/"+line+"/calls", key, call("c2", "completed"))
	require.Equal(t, http.StatusAccepted, done.Status, string(done.Body))
	require.Equal(t, ticket["conversation_id"], done.Map(t)["conversation_id"])
	require.Equal(t, 2, countMessages(t, s))
	s.MessageSettled(done.Map(t)["message_id"].(string), 10*time.Second)
	require.Equal(t, "closed", status())
	require.Len(t, ids(t, s.Do(http.MethodGet, "/v1/tickets", token, nil)), 1)

	// A missed call opens a follow-up; the closed ticket stays closed (closed is final).
	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+line+"/calls", key, call("c3", "missed")).Status)
	testenv.Eventually(t, 15*time.Second, "a follow-up", func() bool {
		return len(s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil).Map(t)["follow_ups"].([]any)) == 1
	})
	require.Equal(t, "closed", status())
	require.Len(t, ids(t, s.Do(http.MethodGet, "/v1/tickets", token, nil)), 2)

	// An outbound call is on the conversation of the number called (read in the line's country).
	out := s.Do(http.MethodPost, "/v1/channels/"+line+"/calls", key, map[string]any{"call_id": "c5", "from_number": "+46850001234",
		"to_number": "070-111 22 33", "direction": "outbound", "status": "completed", "duration_seconds": 30})
	require.Equal(t, http.StatusAccepted, out.Status, string(out.Body))
	require.Equal(t, "+46701112233", out.Map(t)["to_number"])
	require.Equal(t, ticket["conversation_id"], out.Map(t)["conversation_id"])

	// Revoked: refused at once, on the very next request.
	require.Equal(t, http.StatusNoContent, s.Do(http.MethodDelete, "/v1/channels/"+line+"/keys/"+keyID, token, nil).Status)
	require.Equal(t, http.StatusUnauthorized, s.Do(http.MethodPost, "/v1/channels/"+line+"/calls", key, call("c4", "missed")).Status)
	require.Equal(t, 4, countMessages(t, s))
}
