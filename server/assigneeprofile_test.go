package server_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestManualAssigneeNeedsServiceProfile: neither an agent nor an admin may hand a
// ticket to a user without a service profile (422 naming assignee.user_id); the
// ticket keeps its assignee.
func TestManualAssigneeNeedsServiceProfile(t *testing.T) {
	d := newDesk(t)
	agent := d.user("agent@acme.test", nil)
	manager := d.user("manager@acme.test", map[string]any{"has_profile": false})
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{agent}})
	d.message(ch, "p", map[string]any{"email": "p@x.test"})
	id := d.ticketOf(ch, "p", "assigned")["id"].(string)

	agentTok := d.s.Do(http.MethodPost, "/v1/users/"+agent+"/tokens", d.token, nil).Map(t)["token"].(string)
	for _, tok := range []string{agentTok, d.token} {
		r := d.s.Do(http.MethodPatch, "/v1/tickets/"+id, tok, map[string]any{"assignee": map[string]any{"user_id": manager}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
		require.Contains(t, fieldErrors(t, r), "assignee.user_id")
	}
	got := d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)
	require.Equal(t, agent, assignee(got))
}
