package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestClosingWaitingTicketStopsRouting: closing or solving a ticket that waits for an agent ends its
// routing: the workflow stops waiting, its RoutingState and TicketStatus search attributes follow, and
// when the agent becomes available their only slot goes to the ticket still waiting, not to those.
func TestClosingWaitingTicketStopsRouting(t *testing.T) {
	d := newDesk(t)
	agent := d.user("later@acme.test", map[string]any{"availability": "away", "capacity": 1})
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{agent}, "timeout_seconds": 604800})
	d.message(ch, "a", map[string]any{"email": "a@x.test"})
	closed := d.ticketOf(ch, "a", "waiting_for_agent")
	d.message(ch, "b", map[string]any{"email": "b@x.test"})
	solved := d.ticketOf(ch, "b", "waiting_for_agent")
	d.message(ch, "c", map[string]any{"email": "c@x.test"})
	waiting := d.ticketOf(ch, "c", "waiting_for_agent")

	for tk, status := range map[string]string{closed["id"].(string): "closed", solved["id"].(string): "solved"} {
		r := d.s.Do(http.MethodPatch, "/v1/tickets/"+tk, d.token, map[string]any{"status": status})
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		require.Equal(t, "unassigned", r.Map(t)["routing_state"])
	}
	for _, tk := range []map[string]any{closed, solved} {
		wf := tk["workflow_id"].(string)
		v, err := d.s.Temporal.QueryWorkflow(context.Background(), wf, "", "state")
		require.NoError(t, err)
		var st map[string]any
		require.NoError(t, v.Get(&st))
		require.Equal(t, "unassigned", st["routing_state"], "the workflow no longer waits")
		require.Nil(t, st["wait_until"])
		require.Nil(t, st["waiting_since"])
	}
	find := func(query string) []string {
		resp, err := d.s.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		require.NoError(t, err)
		var ids []string
		for _, e := range resp.Executions {
			ids = append(ids, e.Execution.WorkflowId)
		}
		return ids
	}
	testenv.Eventually(t, 15*time.Second, "RoutingState and TicketStatus in Temporal", func() bool {
		c := find(`RoutingState = "unassigned" AND TicketStatus = "closed"`)
		s := find(`RoutingState = "unassigned" AND TicketStatus = "solved"`)
		w := find(`RoutingState = "waiting_for_agent"`)
		return len(c) == 1 && c[0] == closed["workflow_id"] && len(s) == 1 && s[0] == solved["workflow_id"] &&
			len(w) == 1 && w[0] == waiting["workflow_id"]
	})

	// The agent comes back with room for one: the ticket still waiting takes it.
	r := d.s.Do(http.MethodPut, "/v1/users/"+agent+"/availability", d.token, map[string]any{"availability": "available"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, agent, assignee(d.ticketOf(ch, "c", "assigned")))
	for _, tk := range []map[string]any{closed, solved} {
		got := d.s.Do(http.MethodGet, "/v1/tickets/"+tk["id"].(string), d.token, nil).Map(t)
		require.Nil(t, assignee(got))
		require.Equal(t, "unassigned", got["routing_state"])
	}
}

// TestAccountSolvedWindow: an admin sets the account's solved → closed window through the API (agents
// may read it, not change it; bounds are 422s naming the field), and a ticket solved afterwards is closed
// by its workflow's durable timer after the new window, with no other event on the conversation.
func TestAccountSolvedWindow(t *testing.T) {
	d := newDesk(t)
	agent := d.user("agent@acme.test", nil)
	agentTok := d.s.Do(http.MethodPost, "/v1/users/"+agent+"/tokens", d.token, nil).Map(t)["token"].(string)

	r := d.s.Do(http.MethodGet, "/v1/account/settings", agentTok, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, float64(4*24*3600), r.Map(t)["solved_close_after_seconds"])
	require.Equal(t, http.StatusForbidden, d.s.Do(http.MethodPatch, "/v1/account/settings", agentTok,
		map[string]any{"solved_close_after_seconds": 2}).Status)
	for _, bad := range []any{0, -5, 31536001, 1.5, "2", nil} {
		r := d.s.Do(http.MethodPatch, "/v1/account/settings", d.token, map[string]any{"solved_close_after_seconds": bad})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%v: %s", bad, r.Body)
		want := "solved_close_after_seconds"
		if bad == nil {
			want = "body"
		}
		require.Contains(t, fieldErrors(t, r), want, "%v", bad)
	}
	r = d.s.Do(http.MethodPatch, "/v1/account/settings", d.token, map[string]any{"solved_close_after_seconds": 2})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, float64(2), r.Map(t)["solved_close_after_seconds"])
	require.Equal(t, float64(2), d.s.Do(http.MethodGet, "/v1/account/settings", d.token, nil).Map(t)["solved_close_after_seconds"])

	// Another account keeps the default.
	_, other := d.s.Account("Other", "starter")
	require.Equal(t, float64(4*24*3600), d.s.Do(http.MethodGet, "/v1/account/settings", other, nil).Map(t)["solved_close_after_seconds"])

	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{agent}})
	d.message(ch, "s", map[string]any{"email": "s@x.test"})
	tk := d.ticketOf(ch, "s", "assigned")
	id, wf := tk["id"].(string), tk["workflow_id"].(string)
	r = d.s.Do(http.MethodPatch, "/v1/tickets/"+id, agentTok, map[string]any{"status": "solved"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	// Nothing else happens on the conversation: the close timer alone must end the wait (wake-on-close).
	deadline := time.Now().Add(60 * time.Second) // the timer fires after 2 s; the bound is for a loaded machine
	for d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["status"] != "closed" {
		if time.Now().After(deadline) {
			v, err := d.s.Temporal.QueryWorkflow(context.Background(), wf, "", "state")
			require.NoError(t, err)
			var st map[string]any
			require.NoError(t, v.Get(&st))
			t.Fatalf("the solved ticket did not close after the account's new window: workflow state %v; events %s", st,
				d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/events", d.token, nil).Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	testenv.RecordHistory(t, d.s.Temporal, wf, "conversation_solved_closes_on_timer")
}
