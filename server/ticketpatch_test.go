package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTicketFieldsPatch: priority, tags and custom properties change through PATCH /v1/tickets/{id} with
// validation (422 naming the field), tags folded and deduplicated, properties merge-patched; each change
// is a TicketEdited event with who made it and the route, and a change to nothing records nothing.
func TestTicketFieldsPatch(t *testing.T) {
	d := newDesk(t)
	agentID, agent := d.agent("alice@acme.test", "Alice")
	ch := d.channel(nil)
	d.message(ch, "ada", map[string]any{"external_user_id": "visitor-ada", "name": "Ada"})
	tk := d.ticketOf(ch, "ada", "unassigned")
	id := tk["id"].(string)
	require.Equal(t, "normal", tk["priority"], "a ticket without a priority is normal")
	patch := func(body map[string]any) map[string]any {
		r := d.s.Do(http.MethodPatch, "/v1/tickets/"+id, agent, body)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		return r.Map(t)
	}

	got := patch(map[string]any{"priority": "urgent", "tags": []string{" Refund", "VIP", "refund"}, "properties": map[string]any{"order": "A1", "meta": map[string]any{"a": 1, "b": 2}}})
	require.Equal(t, "urgent", got["priority"])
	require.Equal(t, []any{"refund", "vip"}, got["tags"])
	require.Equal(t, "A1", got["properties"].(map[string]any)["order"])

	got = patch(map[string]any{"add_tags": []string{"Billing", "vip"}, "remove_tags": []string{"refund"}, "properties": map[string]any{"order": nil, "meta": map[string]any{"b": nil, "c": 3}}})
	require.Equal(t, []any{"vip", "billing"}, got["tags"])
	require.Equal(t, map[string]any{"meta": map[string]any{"a": float64(1), "c": float64(3)}}, got["properties"])
	patch(map[string]any{"priority": "urgent", "tags": []string{"VIP", "billing"}}) // no change: no event

	bad := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"priority": "P1"}, "priority"},
		{map[string]any{"priority": ""}, "priority"},
		{map[string]any{"tags": []string{"ok", "two words"}}, "tags[1]"},
		{map[string]any{"tags": []string{""}}, "tags[0]"},
		{map[string]any{"tags": []string{strings.Repeat("x", 51)}}, "tags[0]"},
		{map[string]any{"add_tags": []string{"a\u200bb"}}, "add_tags[0]"},
		{map[string]any{"tags": manyTags(51)}, "tags"},
		{map[string]any{"properties": []string{"x"}}, "properties"},
		{map[string]any{"colour": "red"}, "colour"},
		{map[string]any{}, "body"},
	}
	for _, c := range bad {
		requireField(t, d.s.Do(http.MethodPatch, "/v1/tickets/"+id, agent, c.body), http.StatusUnprocessableEntity, c.field)
	}
	patch(map[string]any{"tags": manyTags(30)})
	requireField(t, d.s.Do(http.MethodPatch, "/v1/tickets/"+id, agent, map[string]any{"add_tags": manyTags(60)[25:]}), http.StatusUnprocessableEntity, "tags")
	require.Len(t, d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["tags"], 30, "a refused change leaves the tags")
	// A refused status leaves the other fields as they were.
	r := d.s.Do(http.MethodPatch, "/v1/tickets/"+id, agent, map[string]any{"status": "closed"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	r = d.s.Do(http.MethodPatch, "/v1/tickets/"+id, agent, map[string]any{"status": "open", "priority": "low"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Equal(t, "urgent", d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["priority"])

	var edits []map[string]any
	for _, it := range d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/events?limit=500", d.token, nil).Map(t)["items"].([]any) {
		if e := it.(map[string]any); e["kind"] == "TicketEdited" {
			require.Equal(t, agentID, e["actor_user_id"])
			require.Equal(t, "PATCH /v1/tickets/{id}", e["via"])
			edits = append(edits, e["data"].(map[string]any))
		}
	}
	require.Len(t, edits, 3, "two edits and the 30 tags; the unchanged patch and the refused ones record nothing")
	require.Equal(t, "urgent", edits[0]["priority"])
	require.Equal(t, "normal", edits[0]["from_priority"])
	require.Equal(t, []any{"refund", "vip"}, edits[0]["tags"])
	require.Equal(t, []any{}, edits[0]["from_tags"])
	require.Equal(t, []any{"vip", "billing"}, edits[1]["tags"])
	require.NotContains(t, edits[1], "priority")
}

func manyTags(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%d", i)
	}
	return out
}
