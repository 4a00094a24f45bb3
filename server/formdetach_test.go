package server_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestDisconnectingFormRemovesItsTicketFields: disconnecting a form channel (DELETE, or PATCH
// status) drops its ticket fields (subject_field, description_field) from the config GET
// answers; past submissions, their tickets and threads stay; the form's own fields stay.
func TestDisconnectingFormRemovesItsTicketFields(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	form := formChannel(t, s, token, false)
	cfg := s.Do(http.MethodGet, "/v1/channels/"+form, token, nil).Map(t)["config"].(map[string]any)
	require.Equal(t, "topic", cfg["subject_field"])
	require.Equal(t, "message", cfg["description_field"])

	sub := map[string]any{"external_id": "s-1", "fields": map[string]any{"email": "ada@example.com", "topic": "billing",
		"message": "I was charged twice.", "utm_source": "ads"}}
	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+form+"/submissions", token, sub).Status)
	ticket := waitTicket(t, s, token, "channel_id="+form)
	require.Equal(t, "billing", ticket["subject"])

	require.Equal(t, http.StatusNoContent, s.Do(http.MethodDelete, "/v1/channels/"+form, token, nil).Status)
	got := s.Do(http.MethodGet, "/v1/channels/"+form, token, nil).Map(t)
	require.Equal(t, "disconnected", got["status"])
	cfg = got["config"].(map[string]any)
	require.NotContains(t, cfg, "subject_field")
	require.NotContains(t, cfg, "description_field")
	require.Len(t, cfg["fields"], 6, "the form's own fields stay")
	require.Equal(t, "contact-us", cfg["form_id"])

	var kept int
	require.NoError(t, s.Store.DB().Get(&kept, `SELECT count(*) FROM submissions`))
	require.Equal(t, 1, kept, "past submissions stay")
	kept1 := s.Do(http.MethodGet, "/v1/tickets/"+ticket["id"].(string), token, nil).Map(t)
	require.Equal(t, "billing", kept1["subject"])
	require.Contains(t, string(s.Do(http.MethodGet, "/v1/tickets/"+ticket["id"].(string)+"/messages", token, nil).Body), "I was charged twice.")

	// Reconnected, it has no ticket fields until they are set again; PATCH disconnecting drops them too.
	r := s.Do(http.MethodPatch, "/v1/channels/"+form, token, map[string]any{"status": "connected"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.NotContains(t, r.Map(t)["config"], "subject_field")
	r = s.Do(http.MethodPatch, "/v1/channels/"+form, token, map[string]any{"config": map[string]any{"subject_field": "topic"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "topic", r.Map(t)["config"].(map[string]any)["subject_field"])
	r = s.Do(http.MethodPatch, "/v1/channels/"+form, token, map[string]any{"status": "disconnected"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.NotContains(t, r.Map(t)["config"], "subject_field")
	require.NotContains(t, s.Do(http.MethodGet, "/v1/channels/"+form, token, nil).Map(t)["config"], "subject_field")
}
