package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

func TestCallsProgressForwardAndMissedCallsOpenTickets(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	line := createChannel(t, s, token, map[string]any{"type": "calling", "name": "Stockholm line", "config": map[string]any{"phone_number": "+46850001234"}})
	key := s.Do(http.MethodPost, "/v1/channels/"+line+"/keys", token, nil).Map(t)["key"].(string)
	path := "/v1/channels/" + line + "/calls"
	report := func(callID, from, status string, extra map[string]any) testenv.Response {
		body := map[string]any{"call_id": callID, "from_number": from, "to_number": "+46850001234", "status": status}
		for k, v := range extra {
			body[k] = v
		}
		return s.Do(http.MethodPost, path, key, body)
	}

	// Invalid reports name their field.
	bad := report("", "not a number", "hung_up", map[string]any{"direction": "sideways", "recording_url": "ftp://x"})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status, string(bad.Body))
	for _, f := range []string{`"call_id"`, `"from_number"`, `"status"`, `"direction"`, `"recording_url"`} {
		require.Contains(t, string(bad.Body), f)
	}

	// A national number is read in the line's country and stored in E.164; status only moves forward.
	r := report("c1", "070-123 45 67", "ringing", nil)
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	require.Equal(t, "+46701234567", r.Map(t)["from_number"])
	require.Equal(t, http.StatusAccepted, report("c1", "+46 70 123 45 67", "in_progress", nil).Status)
	late := report("c1", "+46701234567", "ringing", nil)
	require.Equal(t, http.StatusOK, late.Status, string(late.Body))
	require.Equal(t, true, late.Map(t)["ignored"])
	require.Equal(t, "in_progress", late.Map(t)["status"])
	require.Equal(t, 0, countMessages(t, s), "a call in progress is no message yet")

	// Completed without an open ticket: on the conversation, but no ticket.
	done := report("c1", "+46701234567", "completed", map[string]any{"duration_seconds": 200, "transcript": "Asked about opening hours."})
	require.Equal(t, http.StatusAccepted, done.Status, string(done.Body))
	require.NotEmpty(t, done.Map(t)["message_id"])
	require.Equal(t, 1, countMessages(t, s))
	s.MessageSettled(done.Map(t)["message_id"].(string), 10*time.Second)
	require.Contains(t, string(s.Do(http.MethodGet, "/v1/tickets", token, nil).Body), `"items":[]`)

	// A missed call from the same number opens a ticket on the caller's contact (found by phone).
	missed := report("c2", "0701234567", "missed", nil)
	require.Equal(t, http.StatusAccepted, missed.Status, string(missed.Body))
	ticket := waitTicket(t, s, token, "channel_id="+line)
	require.Equal(t, "Missed call from +46701234567", ticket["subject"])
	var contactID string
	require.NoError(t, s.Store.DB().Get(&contactID, `SELECT contact_id FROM contact_identities WHERE kind = 'phone' AND value = '+46701234567'`))
	require.Equal(t, contactID, ticket["contact_id"])

	// A completed call now attaches to the open ticket.
	require.Equal(t, http.StatusAccepted, report("c3", "+46701234567", "completed", map[string]any{"duration_seconds": 60}).Status)
	thread := "/v1/tickets/" + ticket["id"].(string) + "/messages"
	testenv.Eventually(t, 10*time.Second, "the completed call on the ticket", func() bool {
		b := string(s.Do(http.MethodGet, thread, token, nil).Body)
		return strings.Contains(b, "Call with +46701234567 (inbound, 1m0s)") && strings.Contains(b, "Missed call from +46701234567")
	})

	// A voicemail from an unknown number: a new contact and ticket.
	vm := report("c4", "+1 415 555 0123", "voicemail", map[string]any{"recording_url": "https://provider.example/vm/4", "transcript": "Call me back"})
	require.Equal(t, http.StatusAccepted, vm.Status, string(vm.Body))
	testenv.Eventually(t, 15*time.Second, "the voicemail's ticket", func() bool {
		return strings.Contains(string(s.Do(http.MethodGet, "/v1/tickets", token, nil).Body), "Voicemail from +14155550123")
	})
	var calls int
	require.NoError(t, s.Store.DB().Get(&calls, `SELECT count(*) FROM calls WHERE message_id IS NOT NULL`))
	require.Equal(t, 4, calls)
}
