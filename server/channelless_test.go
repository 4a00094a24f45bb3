package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// ids lists the ids of a ticket list answer.
func ids(t *testing.T, r testenv.Response) []string {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var out []string
	for _, it := range r.Map(t)["items"].([]any) {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

// TestChannellessTicketCreatedRuledAndListed: a ticket without a channel is stored with JSON
// nulls for its channel and conversation, its contact found or created by email, the
// account-wide rules applied (a channel's own rules not), listed by source but never under
// a channel filter, with an empty thread; an agent's change goes through its own workflow.
func TestChannellessTicketCreatedRuledAndListed(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	chat := createChannel(t, s, token, map[string]any{"type": "chat", "name": "Chat"})
	for _, rule := range []map[string]any{
		{"name": "refunds", "kind": "property", "when": `ticket.subject contains "Refund" && channel.type == ""`,
			"set": map[string]any{"priority": "high", "queue": "billing"}},
		{"name": "chat only", "kind": "property", "channel_id": chat, "when": "true", "set": map[string]any{"scoped": true}},
	} {
		r := s.Do(http.MethodPost, "/v1/rules", token, rule)
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	}

	r := s.Do(http.MethodPost, "/v1/tickets", token, map[string]any{"subject": "Refund for order 77", "description": "From the CRM",
		"contact": map[string]any{"email": "carol@example.com", "name": "Carol"}, "channel_id": nil, "source": "integration"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	for _, null := range []string{`"channel_id":null`, `"conversation_id":null`, `"channel_type":null`} {
		require.Contains(t, string(r.Body), null)
	}
	tk := r.Map(t)
	id := tk["id"].(string)
	require.Equal(t, "ticket:"+id, tk["workflow_id"])
	require.Equal(t, "integration", tk["source"])
	require.Equal(t, "unassigned", tk["routing_state"])
	require.Equal(t, "high", tk["priority"], "the account-wide rule ran, with an empty channel")
	require.Equal(t, "billing", tk["properties"].(map[string]any)["queue"])
	require.NotContains(t, tk["properties"], "scoped", "a channel's rule does not apply")
	carol := s.Do(http.MethodGet, "/v1/contacts?email=carol@example.com", token, nil).Map(t)["items"].([]any)
	require.Len(t, carol, 1)
	require.Equal(t, carol[0].(map[string]any)["id"], tk["contact_id"])

	// The same contact by id, without channel_id at all.
	r = s.Do(http.MethodPost, "/v1/tickets", token, map[string]any{"subject": "Follow-up", "contact": map[string]any{"id": tk["contact_id"]}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	second := r.Map(t)["id"].(string)
	require.Equal(t, "api", r.Map(t)["source"])
	require.NotContains(t, r.Map(t)["properties"], "queue", "no Refund in the subject")

	got := s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil)
	require.Equal(t, http.StatusOK, got.Status, string(got.Body))
	require.Contains(t, string(got.Body), `"channel_id":null`)
	require.Equal(t, `{"items":[],"next_cursor":null}`, string(s.Do(http.MethodGet, "/v1/tickets/"+id+"/messages", token, nil).Body))
	require.ElementsMatch(t, []string{id}, ids(t, s.Do(http.MethodGet, "/v1/tickets?source=integration", token, nil)))
	require.ElementsMatch(t, []string{second}, ids(t, s.Do(http.MethodGet, "/v1/tickets?source=api", token, nil)))
	require.Empty(t, ids(t, s.Do(http.MethodGet, "/v1/tickets?channel_id="+chat, token, nil)))
	require.ElementsMatch(t, []string{id, second}, ids(t, s.Do(http.MethodGet, "/v1/tickets?contact_id="+tk["contact_id"].(string), token, nil)))
	timeline := string(s.Do(http.MethodGet, "/v1/contacts/"+tk["contact_id"].(string)+"/timeline", token, nil).Body)
	require.Contains(t, timeline, id)

	// An agent's change runs on the ticket's own workflow.
	closed := s.Do(http.MethodPatch, "/v1/tickets/"+id, token, map[string]any{"status": "closed"})
	require.Equal(t, http.StatusOK, closed.Status, string(closed.Body))
	require.Equal(t, "closed", closed.Map(t)["status"])
	require.Contains(t, string(closed.Body), `"channel_id":null`)
}

// TestChannellessTicketRefusals: each refusal names its field.
func TestChannellessTicketRefusals(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	chat := createChannel(t, s, token, map[string]any{"type": "chat", "name": "Chat"})
	base := func(extra map[string]any) map[string]any {
		b := map[string]any{"subject": "x", "contact": map[string]any{"email": "dan@example.com"}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{base(map[string]any{"route": true}), `"field":"routing"`},
		{base(map[string]any{"route": true, "routing": map[string]any{"assign_to": "everyone"}}), `"routing.assign_to"`},
		{base(map[string]any{"route": true, "routing": map[string]any{"assign_to": "users_and_teams", "users": []string{"usr_nobody"}}}), `"routing.users[0]"`},
		{base(map[string]any{"route": true, "routing": map[string]any{"assign_to": "users_and_teams"}}), `"routing.users"`},
		{base(map[string]any{"contact": map[string]any{}}), `"contact"`},
	} {
		r := s.Do(http.MethodPost, "/v1/tickets", token, c.body)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
		require.Contains(t, string(r.Body), c.field)
	}
	require.Equal(t, 0, countTickets(t, s))

	r := s.Do(http.MethodPost, "/v1/tickets", token, base(nil))
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	id := r.Map(t)["id"].(string)
	reply := s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"text": "Hello"})
	require.Equal(t, http.StatusUnprocessableEntity, reply.Status, string(reply.Body))
	require.Contains(t, string(reply.Body), `"channel_id"`)
	reply = s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"text": "Hello", "channel_id": chat})
	require.Equal(t, http.StatusUnprocessableEntity, reply.Status, string(reply.Body))
	require.Contains(t, string(reply.Body), "cannot start a conversation")
	reply = s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"text": "Hello", "channel_id": "ch_nope"})
	require.Equal(t, http.StatusUnprocessableEntity, reply.Status, string(reply.Body))
	require.Contains(t, string(r.Body), `"channel_id":null`, "a refused reply attaches nothing")
	require.Contains(t, string(s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil).Body), `"channel_id":null`)
}

// TestChannellessTicketRouting: route: true with a routing object assigns a free agent; with
// nobody free the ticket waits, and the agent who becomes available (or gets room under their
// capacity) is given it; a routing object on a channel ticket overrides the channel's routing.
func TestChannellessTicketRouting(t *testing.T) {
	d := newDesk(t)
	free := d.user("free@acme.test", nil)
	away := d.user("away@acme.test", map[string]any{"availability": "away"})
	single := d.user("single@acme.test", map[string]any{"capacity": 1})
	create := func(subject string, users []string, extra map[string]any) string {
		body := map[string]any{"subject": subject, "contact": map[string]any{"email": "eve@example.com"}, "route": true,
			"routing": map[string]any{"assign_to": "users_and_teams", "users": users, "timeout_seconds": 600}}
		for k, v := range extra {
			body[k] = v
		}
		r := d.s.Do(http.MethodPost, "/v1/tickets", d.token, body)
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
		require.Contains(t, string(r.Body), `"assign_to":"users_and_teams"`, "the routing is kept with the ticket")
		return r.Map(t)["id"].(string)
	}
	waitState := func(id, state string) map[string]any {
		var tk map[string]any
		testenv.Eventually(t, 20*time.Second, id+" to be "+state, func() bool {
			tk = d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)
			return tk["routing_state"] == state
		})
		return tk
	}

	require.Equal(t, free, assignee(waitState(create("To the free agent", []string{free}, nil), "assigned")))

	waiting := create("Waits for the away agent", []string{away}, nil)
	waitState(waiting, "waiting_for_agent")
	r := d.s.Do(http.MethodPut, "/v1/users/"+away+"/availability", d.token, map[string]any{"availability": "available"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, away, assignee(waitState(waiting, "assigned")), "the available → oldest waiting dispatch includes it")
	testenv.RecordHistory(t, d.s.Temporal, "ticket:"+waiting, "ticket_only_waits_then_dispatched")

	first := create("First for single", []string{single}, nil)
	require.Equal(t, single, assignee(waitState(first, "assigned")))
	second := create("Second for single", []string{single}, nil)
	waitState(second, "waiting_for_agent")
	closed := d.s.Do(http.MethodPatch, "/v1/tickets/"+first, d.token, map[string]any{"status": "closed"})
	require.Equal(t, http.StatusOK, closed.Status, string(closed.Body))
	require.Equal(t, single, assignee(waitState(second, "assigned")), "capacity freed, the waiting ticket taken")
	testenv.RecordHistory(t, d.s.Temporal, "ticket:"+first, "ticket_only_assigned_then_closed")

	// On a channel that assigns nobody, the request's routing applies to its ticket.
	ch := d.channel(map[string]any{"assign_to": "none"})
	onChannel := create("Channel ticket routed by the request", []string{free}, map[string]any{"channel_id": ch})
	require.Equal(t, free, assignee(waitState(onChannel, "assigned")))
}

// TestChannellessTicketWaitTimesOut: the wait for an agent of a channel-less ticket ends on its timeout, unassigned.
func TestChannellessTicketWaitTimesOut(t *testing.T) {
	d := newDesk(t)
	away := d.user("away@acme.test", map[string]any{"availability": "away"})
	r := d.s.Do(http.MethodPost, "/v1/tickets", d.token, map[string]any{"subject": "Nobody comes", "contact": map[string]any{"email": "fay@example.com"},
		"route": true, "routing": map[string]any{"assign_to": "users_and_teams", "users": []string{away}, "timeout_seconds": 10}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	id := r.Map(t)["id"].(string)
	testenv.Eventually(t, 40*time.Second, "the wait to time out", func() bool {
		return d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["routing_state"] == "unassigned"
	})
}
