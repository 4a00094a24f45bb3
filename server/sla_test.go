package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestSLAPoliciesAreCheckedAsRulesAndListedInOrder: a condition is checked with the rules' messages (line
// and column), the calendar and actions name their field, and policies list in the order they are tried.
func TestSLAPoliciesAreCheckedAsRulesAndListedInOrder(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "enterprise")
	bad := s.Do(http.MethodPost, "/v1/sla-policies", token, map[string]any{"name": "VIP", "when": "ticket.priority ==",
		"targets": map[string]any{"first_response_minutes": 60}, "calendar": map[string]any{"timezone": "Mars/Olympus", "hours": "Mon-Fri 9-5"},
		"on_breach": []any{map[string]any{"type": "assign_team"}}})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status, string(bad.Body))
	rule := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "x", "kind": "property", "when": "ticket.priority ==", "set": map[string]any{"a": 1}})
	require.Equal(t, http.StatusUnprocessableEntity, rule.Status)
	fields := map[string]map[string]any{}
	for _, e := range bad.Map(t)["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = e.(map[string]any)
	}
	for _, e := range rule.Map(t)["errors"].([]any) {
		if e.(map[string]any)["field"] == "when" {
			require.Equal(t, e, any(fields["when"]), "the same message, line and column as a rule's")
		}
	}
	for _, f := range []string{"when", "calendar.timezone", "calendar.hours", "on_breach[0].team_id"} {
		require.Contains(t, fields, f)
	}

	second := s.Do(http.MethodPost, "/v1/sla-policies", token, map[string]any{"name": "Default", "position": 2, "targets": map[string]any{"resolution_minutes": 480}})
	require.Equal(t, http.StatusCreated, second.Status, string(second.Body))
	first := s.Do(http.MethodPost, "/v1/sla-policies", token, map[string]any{"name": "Urgent", "position": 1, "priorities": []string{"urgent"},
		"when": `channel.type == "chat"`, "targets": map[string]any{"first_response_minutes": 15}, "business_hours_only": true,
		"calendar": map[string]any{"timezone": "Europe/Stockholm", "hours": "Mon-Fri 09:00-17:00", "holidays": []string{"2026-12-24"}}})
	require.Equal(t, http.StatusCreated, first.Status, string(first.Body))
	list := s.Do(http.MethodGet, "/v1/sla-policies", token, nil)
	names := []string{}
	for _, p := range list.Map(t)["items"].([]any) {
		names = append(names, p.(map[string]any)["name"].(string))
	}
	require.Equal(t, []string{"Urgent", "Default"}, names)

	id := second.Map(t)["id"].(string)
	patched := s.Do(http.MethodPatch, "/v1/sla-policies/"+id, token, map[string]any{"position": 0, "warning_share": 0.5})
	require.Equal(t, http.StatusOK, patched.Status, string(patched.Body))
	require.Equal(t, 0.5, patched.Map(t)["warning_share"])
	require.Equal(t, float64(480), patched.Map(t)["targets"].(map[string]any)["resolution_minutes"], "a merge patch keeps the rest")
	badShare := s.Do(http.MethodPatch, "/v1/sla-policies/"+id, token, map[string]any{"warning_share": 1.5})
	require.Equal(t, http.StatusUnprocessableEntity, badShare.Status)
	require.Contains(t, string(badShare.Body), "warning_share")
	require.Equal(t, http.StatusNoContent, s.Do(http.MethodDelete, "/v1/sla-policies/"+id, token, nil).Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/sla-policies/"+id, token, nil).Status)
}

// TestSLABreachFiresOnceAcrossAWorkerRestart: the worker stops before a ticket's first-response deadline
// and starts again after it; the breach then fires exactly once: one SLABreached event on the audit trail,
// its actions taken (tag, priority, team notified by email), the ticket and the metrics show it.
func TestSLABreachFiresOnceAcrossAWorkerRestart(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "enterprise")
	user := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "lead@acme.test", "name": "Lead"})
	require.Equal(t, http.StatusCreated, user.Status, string(user.Body))
	team := s.Do(http.MethodPost, "/v1/teams", token, map[string]any{"name": "Tier 2", "members": []string{user.Map(t)["id"].(string)}})
	require.Equal(t, http.StatusCreated, team.Status, string(team.Body))
	policy := s.Do(http.MethodPost, "/v1/sla-policies", token, map[string]any{"name": "Chat", "channel_types": []string{"chat"},
		"targets": map[string]any{"first_response_minutes": 1},
		"on_breach": []any{map[string]any{"type": "add_tag", "tag": "sla-late"}, map[string]any{"type": "raise_priority"},
			map[string]any{"type": "notify_team", "team_id": team.Map(t)["id"]}}})
	require.Equal(t, http.StatusCreated, policy.Status, string(policy.Body))
	ch := chatChannel(t, s, token)
	msg := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{"external_id": "m1", "text": "help", "from": map[string]any{"email": "c@example.com"}})
	require.Equal(t, http.StatusAccepted, msg.Status, string(msg.Body))

	var ticket map[string]any
	testenv.Eventually(t, 30*time.Second, "the ticket's SLA deadline", func() bool {
		items := s.Do(http.MethodGet, "/v1/tickets?sort=sla_due", token, nil).Map(t)["items"].([]any)
		if len(items) == 0 {
			return false
		}
		ticket = items[0].(map[string]any)
		sla, _ := ticket["sla"].(map[string]any)
		return sla != nil && sla["due_at"] != nil
	})
	due, err := time.Parse(time.RFC3339Nano, ticket["sla"].(map[string]any)["due_at"].(string))
	require.NoError(t, err)
	require.Equal(t, policy.Map(t)["id"], ticket["sla"].(map[string]any)["policy_id"])

	s.StopWorker()
	testenv.Eventually(t, 2*time.Minute, "the deadline passes while no worker runs", func() bool { return time.Now().After(due.Add(time.Second)) })
	require.Empty(t, events(t, s, token, ticket["id"].(string), "SLABreached"), "nothing fires without a worker")
	s.StartWorker()

	path := "/v1/tickets/" + ticket["id"].(string)
	testenv.Eventually(t, time.Minute, "the breach", func() bool {
		sla, _ := s.Do(http.MethodGet, path, token, nil).Map(t)["sla"].(map[string]any)
		return sla != nil && sla["breached"] == true
	})
	// The workflow answers a query only between tasks: the breach's task is complete when it does.
	_, err = s.Temporal.QueryWorkflow(t.Context(), ticket["workflow_id"].(string), "", "state")
	require.NoError(t, err)
	require.Len(t, events(t, s, token, ticket["id"].(string), "SLABreached"), 1)
	require.Len(t, events(t, s, token, ticket["id"].(string), "SLAWarning"), 1)
	got := s.Do(http.MethodGet, path, token, nil).Map(t)
	require.Contains(t, got["tags"], "sla-late")
	require.Equal(t, "high", got["priority"], "raised one step from normal")
	require.Nil(t, got["sla"].(map[string]any)["due_at"], "no target runs after the breach of the only one")
	testenv.Eventually(t, 30*time.Second, "the team's email", func() bool {
		for _, m := range s.Mail.Received() {
			if strings.Contains(m.Data, "SLA breached on ticket") {
				return true
			}
		}
		return false
	})
	// Per-team clocks: Tier 1 holds the ticket, then Tier 2; the spans show each.
	tier1 := s.Do(http.MethodPost, "/v1/teams", token, map[string]any{"name": "Tier 1"}).Map(t)["id"].(string)
	for _, team := range []string{tier1, team.Map(t)["id"].(string)} {
		r := s.Do(http.MethodPatch, path, token, map[string]any{"assignee": map[string]any{"team_id": team}})
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	}
	clocks := s.Do(http.MethodGet, path+"/team-clocks", token, nil)
	require.Equal(t, http.StatusOK, clocks.Status, string(clocks.Body))
	spans := clocks.Map(t)["spans"].([]any)
	require.Len(t, spans, 2, string(clocks.Body))
	require.Equal(t, tier1, spans[0].(map[string]any)["team_id"])
	require.NotNil(t, spans[0].(map[string]any)["to"], "Tier 1's span ended at the handover")
	require.Nil(t, spans[1].(map[string]any)["to"], "Tier 2 holds it")

	metrics := s.Do(http.MethodGet, "/metrics", "", nil)
	require.Contains(t, string(metrics.Body), `routedesk_sla_breached_total{target="first_response"} 1`)
	testenv.RecordHistory(t, s.Temporal, ticket["workflow_id"].(string), "conversation_sla_breach_after_worker_restart")
}

// events are the ticket's audit trail events of kind.
func events(t *testing.T, s *testenv.Stack, token, ticketID, kind string) []any {
	t.Helper()
	r := s.Do(http.MethodGet, "/v1/tickets/"+ticketID+"/events?limit=100", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var out []any
	for _, e := range r.Map(t)["items"].([]any) {
		if e.(map[string]any)["kind"] == kind {
			out = append(out, e)
		}
	}
	return out
}
