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

// TestTicketLifecycle walks a ticket through the lifecycle (docs/tickets.md): statuses outside the
// vocabulary and moves it does not allow are 422s naming status; pending keeps the agent's capacity,
// solved frees it; a customer's message reopens pending and solved tickets; a solved ticket closes
// when its account's window is over, on the workflow's timer; closed is final; TicketStatus follows in
// Temporal, and every change is on the audit trail with who made it and from which route.
func TestTicketLifecycle(t *testing.T) {
	d := newDesk(t)
	agent := d.user("solo@acme.test", map[string]any{"capacity": 1})
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{agent}, "timeout_seconds": 604800})
	d.message(ch, "a", map[string]any{"email": "a@x.test"})
	first := d.ticketOf(ch, "a", "assigned")
	id, wf := first["id"].(string), first["workflow_id"].(string)
	d.message(ch, "b", map[string]any{"email": "b@x.test"})
	second := d.ticketOf(ch, "b", "waiting_for_agent")

	agentTok := d.s.Do(http.MethodPost, "/v1/users/"+agent+"/tokens", d.token, nil).Map(t)["token"].(string)
	patch := func(status string) testenv.Response {
		return d.s.Do(http.MethodPatch, "/v1/tickets/"+id, agentTok, map[string]any{"status": status})
	}
	get := func(tid string) map[string]any {
		return d.s.Do(http.MethodGet, "/v1/tickets/"+tid, d.token, nil).Map(t)
	}

	r := patch("banana")
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, fieldErrors(t, r), "status")
	require.Contains(t, string(r.Body), "on_hold")

	// pending keeps the agent's capacity: the second ticket still waits.
	r = patch("pending")
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "pending", r.Map(t)["status"])
	require.Equal(t, agent, assignee(r.Map(t)))
	// The change update answers after any capacity it freed was dispatched, so this is final.
	require.Equal(t, "waiting_for_agent", get(second["id"].(string))["routing_state"])

	// The customer answers: open again, with the same agent.
	d.message(ch, "a", map[string]any{"email": "a@x.test"})
	testenv.Eventually(t, 15*time.Second, "the pending ticket to reopen", func() bool {
		got := get(id)
		return got["status"] == "open" && assignee(got) == agent
	})

	// solved frees the capacity: the waiting ticket goes to the agent.
	r = patch("solved")
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "solved", r.Map(t)["status"])
	d.ticketOf(ch, "b", "assigned")
	visible := func(query string) bool {
		resp, err := d.s.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		require.NoError(t, err)
		for _, e := range resp.Executions {
			if e.Execution.WorkflowId == wf {
				return true
			}
		}
		return false
	}
	testenv.Eventually(t, 15*time.Second, "TicketStatus solved in Temporal", func() bool { return visible(`TicketStatus = "solved"`) })
	r = patch("pending")
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), "open, closed")

	// The customer writes on the solved ticket: open again, routed (its agent is full, so it waits).
	d.message(ch, "a", map[string]any{"email": "a@x.test"})
	testenv.Eventually(t, 15*time.Second, "the solved ticket to reopen", func() bool {
		got := get(id)
		return got["status"] == "open" && got["routing_state"] == "waiting_for_agent"
	})
	testenv.Eventually(t, 15*time.Second, "TicketStatus open in Temporal", func() bool { return visible(`TicketStatus = "open"`) })

	// A short solved window: the workflow's timer closes the solved ticket; closed is final.
	_, err := d.s.Store.DB().Exec(`UPDATE accounts SET solved_close_after_seconds = 2 WHERE id = (SELECT account_id FROM tickets WHERE id = $1)`, id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, patch("solved").Status)
	testenv.Eventually(t, 20*time.Second, "the solved ticket to close", func() bool { return get(id)["status"] == "closed" })
	testenv.Eventually(t, 15*time.Second, "TicketStatus closed in Temporal", func() bool { return visible(`TicketStatus = "closed"`) })
	r = patch("open")
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), "final")

	// The audit trail: the agent's changes name the route; the timer's close names it.
	events := d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/events?limit=500", d.token, nil)
	require.Equal(t, http.StatusOK, events.Status, string(events.Body))
	var byRoute, byTimer, reopened int
	for _, it := range events.Map(t)["items"].([]any) {
		e := it.(map[string]any)
		switch {
		case e["kind"] == "TicketChanged" && e["via"] == "PATCH /v1/tickets/{id}":
			require.Equal(t, agent, e["actor_user_id"])
			byRoute++
		case e["kind"] == "TicketChanged" && e["via"] == "solved_timer":
			require.Nil(t, e["actor_user_id"])
			byTimer++
		case e["kind"] == "TicketReopened" && e["via"] == "customer_message":
			reopened++
		}
	}
	require.Equal(t, 3, byRoute, "pending, solved, solved")
	require.Equal(t, 1, byTimer)
	require.Equal(t, 2, reopened)
	require.Equal(t, http.StatusNotFound, d.s.Do(http.MethodGet, "/v1/tickets/tkt_nope/events", d.token, nil).Status)
	testenv.RecordHistory(t, d.s.Temporal, wf, "conversation_lifecycle")
}
