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

// TestFirstReplyAssigns: an agent's reply to a ticket without an assignee makes it theirs and open, through
// the same path as PATCH assignment: the ticket stops waiting for an agent (workflow and search attributes
// follow), the agent's capacity counts it, and the audit trail names the agent and the reply route. A full
// agent, a user without a service profile and a channel whose routing.assign_on_reply is off leave the ticket
// unassigned (the reply says why) but still open it; a later reply changes nothing more.
func TestFirstReplyAssigns(t *testing.T) {
	d := newDesk(t)
	away := d.user("away@acme.test", map[string]any{"availability": "away"})
	agent := d.user("agent@acme.test", map[string]any{"capacity": 1})
	noProfile := d.user("manager@acme.test", map[string]any{"has_profile": false})
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{away}, "timeout_seconds": 604800})
	tokenOf := func(user string) string {
		return d.s.Do(http.MethodPost, "/v1/users/"+user+"/tokens", d.token, nil).Map(t)["token"].(string)
	}
	agentTok, managerTok := tokenOf(agent), tokenOf(noProfile)
	get := func(id string) map[string]any { return d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t) }
	reply := func(id, token string) map[string]any {
		r := d.s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"text": "On it."})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
		return r.Map(t)
	}

	d.message(ch, "a", map[string]any{"email": "a@x.test"})
	first := d.ticketOf(ch, "a", "waiting_for_agent")
	id, wf := first["id"].(string), first["workflow_id"].(string)
	require.Equal(t, "new", first["status"])

	res := reply(id, agentTok)
	require.Equal(t, true, res["assigned"], "%v", res)
	require.Nil(t, res["assign_skipped"])
	got := get(id)
	require.Equal(t, agent, assignee(got))
	require.Equal(t, "open", got["status"])
	require.Equal(t, "assigned", got["routing_state"])

	// The workflow no longer waits, and Temporal's views show the new assignee.
	v, err := d.s.Temporal.QueryWorkflow(context.Background(), wf, "", "state")
	require.NoError(t, err)
	var st map[string]any
	require.NoError(t, v.Get(&st))
	require.Equal(t, "assigned", st["routing_state"])
	require.Equal(t, agent, st["assignee_id"])
	testenv.Eventually(t, 15*time.Second, "AssigneeId and RoutingState in Temporal", func() bool {
		resp, err := d.s.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: `AssigneeId = "` + agent + `" AND RoutingState = "assigned" AND TicketStatus = "open"`})
		require.NoError(t, err)
		return len(resp.Executions) == 1 && resp.Executions[0].Execution.WorkflowId == wf
	})

	// The audit trail: one change, by the agent, from the reply route; a second reply adds none.
	reply(id, agentTok)
	byReply := 0
	for _, it := range d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/events", d.token, nil).Map(t)["items"].([]any) {
		e := it.(map[string]any)
		if e["kind"] == "TicketChanged" && e["via"] == "POST /v1/tickets/{id}/replies" {
			byReply++
			require.Equal(t, agent, e["actor_user_id"])
			data := e["data"].(map[string]any)
			require.Equal(t, "new", data["from_status"])
			require.Equal(t, "open", data["status"])
			require.Equal(t, agent, data["assignee_user_id"])
		}
	}
	require.Equal(t, 1, byReply)

	// The agent is full (capacity 1): the next ticket is opened but stays waiting, unassigned.
	d.message(ch, "b", map[string]any{"email": "b@x.test"})
	second := d.ticketOf(ch, "b", "waiting_for_agent")["id"].(string)
	res = reply(second, agentTok)
	require.Nil(t, res["assigned"])
	require.Contains(t, res["assign_skipped"], "capacity")
	got = get(second)
	require.Nil(t, assignee(got))
	require.Equal(t, "open", got["status"])
	require.Equal(t, "waiting_for_agent", got["routing_state"])

	// A user without a service profile is never assigned.
	d.message(ch, "c", map[string]any{"email": "c@x.test"})
	third := d.ticketOf(ch, "c", "waiting_for_agent")["id"].(string)
	res = reply(third, managerTok)
	require.Contains(t, res["assign_skipped"], "service profile")
	require.Nil(t, assignee(get(third)))

	// The channel's switch off: replies leave the ticket unassigned; a bad value is a 422 naming it.
	r := d.s.Do(http.MethodPatch, "/v1/channels/"+ch, d.token, map[string]any{"routing": map[string]any{"assign_on_reply": "yes"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, fieldErrors(t, r), "routing.assign_on_reply")
	r = d.s.Do(http.MethodPatch, "/v1/channels/"+ch, d.token, map[string]any{"routing": map[string]any{"assign_on_reply": false}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, false, r.Map(t)["routing"].(map[string]any)["assign_on_reply"])
	require.Equal(t, http.StatusOK, d.s.Do(http.MethodPatch, "/v1/tickets/"+id, agentTok, map[string]any{"status": "solved"}).Status)
	res = reply(second, agentTok)
	require.Contains(t, res["assign_skipped"], "assign_on_reply")
	require.Nil(t, assignee(get(second)))
}
