package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// agent makes a user with a service profile and returns their id and an agent token bound to them.
func (d desk) agent(email, name string) (id, token string) {
	id = d.user(email, map[string]any{"name": name, "has_profile": true})
	r := d.s.Do(http.MethodPost, "/v1/users/"+id+"/tokens", d.token, map[string]any{"role": "agent"})
	require.Equal(d.t, http.StatusCreated, r.Status, string(r.Body))
	return id, r.Map(d.t)["token"].(string)
}

func macroIDs(t *testing.T, r map[string]any) []string {
	var out []string
	for _, it := range r["items"].([]any) {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

// TestMacrosTenancy: personal macros are their owner's alone (404 to anyone else, admins included), shared
// ones are the account's (only admins change them), and another account sees none of them.
func TestMacrosTenancy(t *testing.T) {
	d := newDesk(t)
	_, alice := d.agent("alice@acme.test", "Alice Smith")
	_, bob := d.agent("bob@acme.test", "Bob")
	_, other := d.s.Account("Other", "enterprise")

	r := d.s.Do(http.MethodPost, "/v1/macros", alice, map[string]any{"name": "Refund", "body": "Hi {{contact.first_name}}, your refund is on its way."})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	personal := r.Map(t)
	require.Equal(t, "personal", personal["visibility"])
	require.NotNil(t, personal["owner_user_id"])
	pid := personal["id"].(string)

	r = d.s.Do(http.MethodPost, "/v1/macros", d.token, map[string]any{"name": "Thanks", "body": "Thank you!", "visibility": "shared"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	sid := r.Map(t)["id"].(string)
	require.Nil(t, r.Map(t)["owner_user_id"])

	require.ElementsMatch(t, []string{pid, sid}, macroIDs(t, d.s.Do(http.MethodGet, "/v1/macros", alice, nil).Map(t)))
	require.Equal(t, []string{sid}, macroIDs(t, d.s.Do(http.MethodGet, "/v1/macros", bob, nil).Map(t)))
	require.Equal(t, []string{sid}, macroIDs(t, d.s.Do(http.MethodGet, "/v1/macros", d.token, nil).Map(t)), "an admin does not see an agent's personal macros")
	require.Empty(t, macroIDs(t, d.s.Do(http.MethodGet, "/v1/macros", other, nil).Map(t)))
	for _, tok := range []string{bob, d.token, other} {
		require.Equal(t, http.StatusNotFound, d.s.Do(http.MethodGet, "/v1/macros/"+pid, tok, nil).Status)
		require.Equal(t, http.StatusNotFound, d.s.Do(http.MethodPatch, "/v1/macros/"+pid, tok, map[string]any{"name": "Mine"}).Status)
		require.Equal(t, http.StatusNotFound, d.s.Do(http.MethodDelete, "/v1/macros/"+pid, tok, nil).Status)
	}
	require.Equal(t, http.StatusNotFound, d.s.Do(http.MethodGet, "/v1/macros/"+sid, other, nil).Status)
	require.Equal(t, http.StatusNotFound, d.s.Do(http.MethodDelete, "/v1/macros/"+sid, other, nil).Status)

	// Agents use shared macros but neither make nor change nor delete them.
	r = d.s.Do(http.MethodPost, "/v1/macros", bob, map[string]any{"name": "Team", "body": "x", "visibility": "shared"})
	requireField(t, r, http.StatusUnprocessableEntity, "visibility")
	require.Equal(t, http.StatusForbidden, d.s.Do(http.MethodPatch, "/v1/macros/"+sid, bob, map[string]any{"body": "changed"}).Status)
	require.Equal(t, http.StatusForbidden, d.s.Do(http.MethodDelete, "/v1/macros/"+sid, bob, nil).Status)
	require.Equal(t, "Thank you!", d.s.Do(http.MethodGet, "/v1/macros/"+sid, bob, nil).Map(t)["body"])
	// An admin token bound to no user has no personal macros.
	requireField(t, d.s.Do(http.MethodPost, "/v1/macros", d.token, map[string]any{"name": "Mine", "body": "x"}), http.StatusUnprocessableEntity, "visibility")

	// The owner changes and searches their own; the visibility stays.
	r = d.s.Do(http.MethodPatch, "/v1/macros/"+pid, alice, map[string]any{"body": "Hi {{ contact.first_name }}, 100% refunded."})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	requireField(t, d.s.Do(http.MethodPatch, "/v1/macros/"+pid, alice, map[string]any{"visibility": "shared"}), http.StatusUnprocessableEntity, "visibility")
	require.Equal(t, []string{pid}, macroIDs(t, d.s.Do(http.MethodGet, "/v1/macros?q=REFUND", alice, nil).Map(t)))
	require.Equal(t, []string{pid}, macroIDs(t, d.s.Do(http.MethodGet, "/v1/macros?q=100%25", alice, nil).Map(t)), "% is a character, not a wildcard")
	require.Empty(t, macroIDs(t, d.s.Do(http.MethodGet, "/v1/macros?q=%25%25", alice, nil).Map(t)))
	require.Empty(t, macroIDs(t, d.s.Do(http.MethodGet, "/v1/macros?q=refund", bob, nil).Map(t)), "a search never reaches another user's personal macros")
	require.Equal(t, http.StatusNoContent, d.s.Do(http.MethodDelete, "/v1/macros/"+pid, alice, nil).Status)
	require.Equal(t, http.StatusNotFound, d.s.Do(http.MethodGet, "/v1/macros/"+pid, alice, nil).Status)
}

// requireField asserts a problem answer of status whose errors name field.
func requireField(t *testing.T, r interface {
	Map(testing.TB) map[string]any
}, status int, field string) {
	t.Helper()
	m := r.Map(t)
	require.EqualValues(t, status, m["status"], "%v", m)
	var fields []string
	for _, e := range m["errors"].([]any) {
		fields = append(fields, e.(map[string]any)["field"].(string))
	}
	require.Contains(t, fields, field, "%v", m)
}

// TestMacroBadInput: each bad macro is a 422 naming its field.
func TestMacroBadInput(t *testing.T) {
	d := newDesk(t)
	_, alice := d.agent("alice@acme.test", "Alice")
	cases := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"body": "x"}, "name"},
		{map[string]any{"name": "   ", "body": "x"}, "name"},
		{map[string]any{"name": "A", "body": "Dear {{contact.nickname}}"}, "body"},
		{map[string]any{"name": "A", "body": "{{}}"}, "body"},
		{map[string]any{"name": "A"}, "body"},
		{map[string]any{"name": "A", "body": "x", "visibility": "public"}, "visibility"},
		{map[string]any{"name": "A", "body": "x", "actions": map[string]any{"assignee": map[string]any{"user_id": "usr_nobody"}}}, "actions.assignee.user_id"},
		{map[string]any{"name": "A", "body": "x", "actions": map[string]any{"status": ""}}, "actions.status"},
		{map[string]any{"name": "A", "body": "x", "actions": map[string]any{"tags": []string{""}}}, "actions.tags[0]"},
		{map[string]any{"name": "A", "body": "x", "actions": map[string]any{"colour": "red"}}, "actions.colour"},
		{map[string]any{"name": "A\x00", "body": "x"}, "name"},
		{map[string]any{"name": strings.Repeat("n", 201), "body": "x"}, "name"},
	}
	for _, c := range cases {
		requireField(t, d.s.Do(http.MethodPost, "/v1/macros", alice, c.body), http.StatusUnprocessableEntity, c.field)
	}
	require.Equal(t, http.StatusCreated, d.s.Do(http.MethodPost, "/v1/macros", alice, map[string]any{"name": "Dup", "body": "x"}).Status)
	requireField(t, d.s.Do(http.MethodPost, "/v1/macros", alice, map[string]any{"name": "dup", "body": "y"}), http.StatusUnprocessableEntity, "name")
	requireField(t, d.s.Do(http.MethodGet, "/v1/macros?q="+strings.Repeat("q", 201), alice, nil), http.StatusUnprocessableEntity, "q")
}

// TestMacroApply: placeholders are filled server-side from the ticket, its contact and the agent; one
// without a value is a 422 naming it and sends nothing; the actions go through the ticket API, each
// with its outcome (priority and tags included: the ticket API changes them).
func TestMacroApply(t *testing.T) {
	d := newDesk(t)
	_, alice := d.agent("alice@acme.test", "Alice Smith")
	bobID, _ := d.agent("bob@acme.test", "Bob")
	ch := d.channel(nil)
	d.message(ch, "ada", map[string]any{"external_user_id": "visitor-ada", "name": "Ada Lovelace"})
	tk := d.ticketOf(ch, "ada", "unassigned")
	id := tk["id"].(string)

	r := d.s.Do(http.MethodPost, "/v1/macros", alice, map[string]any{"name": "Solved",
		"body":    "Hi {{contact.first_name}}, ticket {{ ticket.id }} is solved. {{agent.first_name}} ({{contact.email}})",
		"actions": map[string]any{"status": "solved", "priority": "high", "tags": []string{"refund"}, "assignee": map[string]any{"user_id": bobID}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	mid := r.Map(t)["id"].(string)
	path := "/v1/tickets/" + id + "/macros/" + mid

	pv := d.s.Do(http.MethodPost, path+"/preview", alice, map[string]any{}).Map(t)
	require.Equal(t, "Hi Ada, ticket "+id+" is solved. Alice ({{contact.email}})", pv["text"])
	require.Equal(t, []any{map[string]any{"name": "contact.email", "reason": "the contact has no email address"}}, pv["missing"])

	messages := func() int {
		return len(d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/messages", d.token, nil).Map(t)["items"].([]any))
	}
	before := messages()
	r = d.s.Do(http.MethodPost, path+"/apply", alice, map[string]any{})
	requireField(t, r, http.StatusUnprocessableEntity, "values.contact.email")
	require.Equal(t, before, messages(), "nothing is sent while a placeholder has no value")
	require.Equal(t, "unassigned", d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["routing_state"], "no action ran")
	requireField(t, d.s.Do(http.MethodPost, path+"/apply", alice, map[string]any{"values": map[string]any{"contact.nickname": "x"}}), http.StatusUnprocessableEntity, "values.contact.nickname")
	requireField(t, d.s.Do(http.MethodPost, path+"/apply", alice, map[string]any{"text": "Hi {{nobody}}"}), http.StatusUnprocessableEntity, "text")
	require.Equal(t, http.StatusNotFound, d.s.Do(http.MethodPost, "/v1/tickets/"+id+"/macros/mac_nope/apply", alice, map[string]any{}).Status)

	r = d.s.Do(http.MethodPost, path+"/apply", alice, map[string]any{"values": map[string]any{"contact.email": "ada@example.org"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	res := r.Map(t)
	want := "Hi Ada, ticket " + id + " is solved. Alice (ada@example.org)"
	require.Equal(t, want, res["text"])
	require.Equal(t, "sent", res["reply"].(map[string]any)["status"], "%v", res)
	msgs := d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/messages", d.token, nil).Map(t)["items"].([]any)
	require.Equal(t, want, msgs[len(msgs)-1].(map[string]any)["text"])
	outcomes := map[string]string{}
	for _, a := range res["actions"].([]any) {
		am := a.(map[string]any)
		outcomes[am["action"].(string)] = am["outcome"].(string)
	}
	ticket := d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)
	require.Equal(t, "applied", outcomes["status"])
	require.Equal(t, "solved", ticket["status"])
	require.Equal(t, "applied", outcomes["assignee"])
	require.Equal(t, bobID, assignee(ticket))
	// priority and tags go through PATCH /v1/tickets/{id}, which changes both.
	require.Equal(t, "applied", outcomes["tags"])
	require.Contains(t, ticket["tags"], "refund")
	require.Equal(t, "applied", outcomes["priority"])
	require.Equal(t, "high", ticket["priority"])
}
