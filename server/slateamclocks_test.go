package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestTeamClocksCountBusinessTime: under a policy with 09–17 business hours, L1 holding the ticket from
// Friday 16:00 to Monday 10:00 held it 66 h of wall time and 2 h of business time; the ticket's SLA object
// and its team clocks both say so; another account sees neither.
func TestTeamClocksCountBusinessTime(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "enterprise")
	policy := s.Do(http.MethodPost, "/v1/sla-policies", token, map[string]any{"name": "Office hours", "channel_types": []string{"chat"},
		"targets": map[string]any{"resolution_minutes": 600}, "business_hours_only": true,
		"calendar": map[string]any{"timezone": "Europe/Stockholm", "hours": "Mon-Fri 09:00-17:00", "holidays": []string{"2026-12-24"}}})
	require.Equal(t, http.StatusCreated, policy.Status, string(policy.Body))
	l1 := s.Do(http.MethodPost, "/v1/teams", token, map[string]any{"name": "L1"}).Map(t)["id"].(string)
	l2 := s.Do(http.MethodPost, "/v1/teams", token, map[string]any{"name": "L2"}).Map(t)["id"].(string)
	ch := chatChannel(t, s, token)
	msg := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{"external_id": "b1", "text": "help", "from": map[string]any{"email": "b@example.com"}})
	require.Equal(t, http.StatusAccepted, msg.Status, string(msg.Body))
	var id string
	testenv.Eventually(t, 30*time.Second, "the ticket under the policy", func() bool {
		items := s.Do(http.MethodGet, "/v1/tickets", token, nil).Map(t)["items"].([]any)
		if len(items) == 0 {
			return false
		}
		tk := items[0].(map[string]any)
		sla, _ := tk["sla"].(map[string]any)
		id, _ = tk["id"].(string)
		return sla != nil && sla["policy_id"] == policy.Map(t)["id"]
	})
	require.Nil(t, s.Do(http.MethodGet, "/v1/tickets", token, nil).Map(t)["items"].([]any)[0].(map[string]any)["sla"].(map[string]any)["team_clocks"],
		"lists leave the clocks out")

	stockholm, err := time.LoadLocation("Europe/Stockholm")
	require.NoError(t, err)
	at := func(day, hour int) time.Time { return time.Date(2026, time.December, day, hour, 0, 0, 0, stockholm) }
	db := s.Store.DB()
	_, err = db.Exec(`DELETE FROM ticket_team_spans WHERE ticket_id = $1`, id)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO ticket_team_spans (ticket_id, team_id, from_at, to_at) VALUES ($1, $2, $3, $4), ($1, $5, $4, $6)`,
		id, l1, at(4, 16), at(7, 10), l2, at(7, 12))
	require.NoError(t, err)

	got := s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil)
	require.Equal(t, http.StatusOK, got.Status, string(got.Body))
	clocks := got.Map(t)["sla"].(map[string]any)["team_clocks"].([]any)
	require.Len(t, clocks, 2, string(got.Body))
	require.Equal(t, map[string]any{"team_id": l1, "seconds": 66 * 3600.0, "business_seconds": 2 * 3600.0}, clocks[0])
	require.Equal(t, map[string]any{"team_id": l2, "seconds": 2 * 3600.0, "business_seconds": 2 * 3600.0}, clocks[1])

	tc := s.Do(http.MethodGet, "/v1/tickets/"+id+"/team-clocks", token, nil)
	require.Equal(t, http.StatusOK, tc.Status, string(tc.Body))
	require.Equal(t, map[string]any{l1: 66 * 3600.0, l2: 2 * 3600.0}, tc.Map(t)["seconds"])
	require.Equal(t, map[string]any{l1: 2 * 3600.0, l2: 2 * 3600.0}, tc.Map(t)["business_seconds"])

	// Counting wall time again, the policy has no business time to show.
	require.Equal(t, http.StatusOK, s.Do(http.MethodPatch, "/v1/sla-policies/"+policy.Map(t)["id"].(string), token, map[string]any{"business_hours_only": false}).Status)
	tc = s.Do(http.MethodGet, "/v1/tickets/"+id+"/team-clocks", token, nil)
	require.Nil(t, tc.Map(t)["business_seconds"], string(tc.Body))

	_, other := s.Account("Other", "enterprise")
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/tickets/"+id+"/team-clocks", other, nil).Status)
}
