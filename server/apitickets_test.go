package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

func TestTicketsAPIWithAndWithoutRouting(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	user := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "agent@a.test", "name": "Agent", "availability": "available"})
	require.Equal(t, http.StatusCreated, user.Status, string(user.Body))
	agentID := user.Map(t)["id"].(string)
	agent := s.Do(http.MethodPost, "/v1/users/"+agentID+"/tokens", token, nil).Map(t)["token"].(string)
	ch := createChannel(t, s, token, map[string]any{"type": "chat", "name": "Chat",
		"ticket_defaults": map[string]any{"pipeline": "support", "status": "new"},
		"routing":         map[string]any{"assign_to": "users_and_teams", "users": []string{agentID}}})
	rule := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "refunds", "kind": "property",
		"when": `ticket.subject contains "Refund"`, "set": map[string]any{"priority": "high", "queue": "billing"}})
	require.Equal(t, http.StatusCreated, rule.Status, string(rule.Body))

	// Refusals name the field.
	body := map[string]any{"subject": "Refund for order 1234", "description": "Imported from the old desk",
		"contact": map[string]any{"email": "bob@example.com", "name": "Bob"}, "source": "import", "properties": map[string]any{"erp": "SAP"}}
	body["channel_id"] = ch
	require.Equal(t, http.StatusForbidden, s.Do(http.MethodPost, "/v1/tickets", agent, body).Status)
	noContact := map[string]any{"subject": "x", "channel_id": ch, "contact": map[string]any{}}
	require.Contains(t, string(s.Do(http.MethodPost, "/v1/tickets", token, noContact).Body), `"contact"`)
	badSource := map[string]any{"subject": "x", "channel_id": ch, "contact": map[string]any{"email": "x@example.com"}, "source": "fax"}
	require.Contains(t, string(s.Do(http.MethodPost, "/v1/tickets", token, badSource).Body), `"source"`)

	// Without routing: rules shape it, it waits unassigned.
	r := s.Do(http.MethodPost, "/v1/tickets", token, body)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	imported := r.Map(t)
	require.Equal(t, "import", imported["source"])
	require.Equal(t, "unassigned", imported["routing_state"])
	require.Equal(t, "high", imported["priority"], "the rule ran")
	require.Equal(t, "support", imported["pipeline"])
	require.Equal(t, "billing", imported["properties"].(map[string]any)["queue"])
	require.Equal(t, "SAP", imported["properties"].(map[string]any)["erp"])
	bob := s.Do(http.MethodGet, "/v1/contacts?email=bob@example.com", token, nil).Map(t)["items"].([]any)
	require.Len(t, bob, 1)
	require.Equal(t, bob[0].(map[string]any)["id"], imported["contact_id"])
	testenv.WorkflowIdle(t, s.Temporal, imported["workflow_id"].(string), 10*time.Second)
	require.Equal(t, "unassigned", s.Do(http.MethodGet, "/v1/tickets/"+imported["id"].(string), token, nil).Map(t)["routing_state"])

	// An agent's reply on it starts its conversation.
	var reply testenv.Response
	testenv.Eventually(t, 10*time.Second, "the reply taken", func() bool {
		reply = s.Do(http.MethodPost, "/v1/tickets/"+imported["id"].(string)+"/replies", token, map[string]any{"text": "Hi Bob, refund on its way."})
		return reply.Status != http.StatusConflict
	})
	require.Equal(t, http.StatusCreated, reply.Status, string(reply.Body))
	thread := string(s.Do(http.MethodGet, "/v1/tickets/"+imported["id"].(string)+"/messages", token, nil).Body)
	require.Contains(t, thread, "Imported from the old desk")
	require.Contains(t, thread, "refund on its way")

	// With routing: the channel's routing assigns it.
	routed := s.Do(http.MethodPost, "/v1/tickets", token, map[string]any{"subject": "Call Bob back", "status": "open",
		"contact": map[string]any{"id": imported["contact_id"]}, "channel_id": ch, "route": true})
	require.Equal(t, http.StatusCreated, routed.Status, string(routed.Body))
	id := routed.Map(t)["id"].(string)
	require.Equal(t, "api", routed.Map(t)["source"])
	require.Equal(t, "open", routed.Map(t)["status"])
	testenv.Eventually(t, 15*time.Second, "the API ticket assigned", func() bool {
		tk := s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil).Map(t)
		return tk["routing_state"] == "assigned" && tk["assignee"].(map[string]any)["user_id"] == agentID
	})

	// ?source= filters them.
	list := func(q string) string { return string(s.Do(http.MethodGet, "/v1/tickets?"+q, token, nil).Body) }
	require.Contains(t, list("source=import"), imported["id"].(string))
	require.NotContains(t, list("source=import"), id)
	require.Contains(t, list("source=api"), id)
	require.Equal(t, `{"items":[],"next_cursor":null}`, strings.TrimSpace(list("source=channel")))
	require.Equal(t, http.StatusUnprocessableEntity, s.Do(http.MethodGet, "/v1/tickets?source=fax", token, nil).Status)
}
