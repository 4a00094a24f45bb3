package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// agentToken adds an agent to the account and returns its token.
func agentToken(t *testing.T, s *testenv.Stack, admin, email string) string {
	t.Helper()
	u := s.Do(http.MethodPost, "/v1/users", admin, map[string]any{"email": email, "name": "Agent"})
	require.Equal(t, http.StatusCreated, u.Status, string(u.Body))
	tok := s.Do(http.MethodPost, "/v1/users/"+u.Map(t)["id"].(string)+"/tokens", admin, nil)
	require.Equal(t, http.StatusCreated, tok.Status, string(tok.Body))
	return tok.Map(t)["token"].(string)
}

// timelineTypes lists a contact's first timeline page as "type ticket_id" entries.
func timelineTypes(t *testing.T, s *testenv.Stack, token, contact string) []string {
	t.Helper()
	r := s.Do(http.MethodGet, "/v1/contacts/"+contact+"/timeline", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var out []string
	for _, it := range r.Map(t)["items"].([]any) {
		m := it.(map[string]any)
		tk, _ := m["ticket_id"].(string)
		out = append(out, m["type"].(string)+" "+tk)
	}
	return out
}

// TestContactProfileDuplicatesMergeUndo: an agent edits a profile (not its owner) and sees every identity;
// duplicates are suggested by name + company, phone and email; the preview shows what moves; an admin merges
// and undoes within the grace period, and everything the merge moved is back; after the period undo is 410.
func TestContactProfileDuplicatesMergeUndo(t *testing.T) {
	s := testenv.NewStack(t)
	_, admin := s.Account("A", "professional")
	agent := agentToken(t, s, admin, "agent@a.test")
	_, other := s.Account("B", "professional")
	chat := createChannel(t, s, admin, map[string]any{"type": "chat", "name": "Chat"})
	widget := createChannel(t, s, admin, map[string]any{"type": "chat", "name": "Widget"})

	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+chat+"/messages", admin, map[string]any{"external_id": "c-1",
		"thread_id": "t-1", "from": map[string]any{"email": "ada@example.com", "name": "Ada Lovelace"}, "text": "Hello from chat"}).Status)
	adaTicket := waitTicket(t, s, admin, "channel_id="+chat)
	ada := adaTicket["contact_id"].(string)
	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+widget+"/messages", admin, map[string]any{"external_id": "w-1",
		"thread_id": "v-9", "from": map[string]any{"external_user_id": "v-9", "name": "Ada Lovelace"}, "text": "Hi again"}).Status)
	visitorTicket := waitTicket(t, s, admin, "channel_id="+widget)
	visitor := visitorTicket["contact_id"].(string)
	require.NotEqual(t, ada, visitor)

	// Agents edit the profile, not the owner.
	r := s.Do(http.MethodPatch, "/v1/contacts/"+ada, agent, map[string]any{"company": "Analytical Engines", "language": "en"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	r = s.Do(http.MethodPatch, "/v1/contacts/"+visitor, agent, map[string]any{"company": "analytical engines", "country": "GB", "properties": map[string]any{"plan": "pro"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	users := s.Do(http.MethodGet, "/v1/users", admin, nil).Map(t)["items"].([]any)
	r = s.Do(http.MethodPatch, "/v1/contacts/"+ada, agent, map[string]any{"owner_user_id": users[0].(map[string]any)["id"]})
	require.Equal(t, http.StatusForbidden, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), `"owner_user_id"`)

	// The whole profile: the identities, an external id split into its channel and id.
	p := s.Do(http.MethodGet, "/v1/contacts/"+visitor, agent, nil).Map(t)
	ids := p["identities"].(map[string]any)
	require.Equal(t, []any{map[string]any{"channel_id": widget, "external_user_id": "v-9"}}, ids["external_ids"])
	require.Equal(t, "GB", p["country"])
	require.Contains(t, string(s.Do(http.MethodGet, "/v1/contacts/"+ada, agent, nil).Body), `"emails":["ada@example.com"]`)

	// Suggested duplicates: the same name at the same company; tenant-scoped.
	d := s.Do(http.MethodGet, "/v1/contacts/"+ada+"/duplicates", agent, nil)
	require.Equal(t, http.StatusOK, d.Status, string(d.Body))
	items := d.Map(t)["items"].([]any)
	require.Len(t, items, 1)
	require.Equal(t, visitor, items[0].(map[string]any)["contact"].(map[string]any)["id"])
	require.Equal(t, []any{"name_company"}, items[0].(map[string]any)["reasons"])
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/contacts/"+ada+"/duplicates", other, nil).Status)

	// Phone and email in common (contacts from before phones and emails were identities).
	for _, q := range []string{
		`INSERT INTO contacts (id, account_id, name, phone, email) SELECT 'ct_legacy1', account_id, 'L1', '+46701234567', 'Old@Example.org' FROM contacts WHERE id = $1`,
		`INSERT INTO contacts (id, account_id, name, phone) SELECT 'ct_legacy2', account_id, 'L2', '+46701234567' FROM contacts WHERE id = $1`,
		`INSERT INTO contacts (id, account_id, name) SELECT 'ct_legacy3', account_id, 'L3' FROM contacts WHERE id = $1`,
		`INSERT INTO contact_identities (account_id, kind, value, value_hash, contact_id)
		   SELECT account_id, 'email', 'old@example.org', sha256(convert_to('old@example.org', 'UTF8')), 'ct_legacy3' FROM contacts WHERE id = $1`,
	} {
		_, err := s.Store.DB().Exec(q, ada)
		require.NoError(t, err)
	}
	d = s.Do(http.MethodGet, "/v1/contacts/ct_legacy1/duplicates", agent, nil)
	require.Equal(t, http.StatusOK, d.Status, string(d.Body))
	got := map[string]any{}
	for _, it := range d.Map(t)["items"].([]any) {
		got[it.(map[string]any)["contact"].(map[string]any)["id"].(string)] = it.(map[string]any)["reasons"]
	}
	require.Equal(t, map[string]any{"ct_legacy2": []any{"phone"}, "ct_legacy3": []any{"email"}}, got)

	// The preview: side by side, what moves and what the survivor takes; nothing changes.
	require.Equal(t, http.StatusUnprocessableEntity, s.Do(http.MethodGet, "/v1/contacts/"+ada+"/merge-preview", agent, nil).Status)
	pv := s.Do(http.MethodGet, "/v1/contacts/"+ada+"/merge-preview?from_contact_id="+visitor, agent, nil)
	require.Equal(t, http.StatusOK, pv.Status, string(pv.Body))
	preview := pv.Map(t)
	require.Equal(t, visitorTicket["id"], preview["tickets"].([]any)[0].(map[string]any)["id"])
	require.Equal(t, "channel_user", preview["identities"].([]any)[0].(map[string]any)["kind"])
	require.Equal(t, "GB", preview["result"].(map[string]any)["country"])
	require.Equal(t, "Analytical Engines", preview["result"].(map[string]any)["company"])
	require.Contains(t, string(pv.Body), `{"field":"country","into":"","from":"GB"}`)
	require.Contains(t, string(pv.Body), `{"field":"properties.plan","into":null,"from":"pro"}`)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/contacts/"+ada+"/merge-preview?from_contact_id="+visitor, other, nil).Status)
	require.Equal(t, http.StatusOK, s.Do(http.MethodGet, "/v1/contacts/"+visitor, agent, nil).Status, "the preview merged nothing")

	// Merge (admins), then undo within the grace period: everything moved goes back.
	require.Equal(t, http.StatusForbidden, s.Do(http.MethodPost, "/v1/contacts/"+ada+"/merge", agent, map[string]any{"from_contact_id": visitor}).Status)
	before := timelineTypes(t, s, admin, visitor)
	m := s.Do(http.MethodPost, "/v1/contacts/"+ada+"/merge", admin, map[string]any{"from_contact_id": visitor})
	require.Equal(t, http.StatusOK, m.Status, string(m.Body))
	merge := m.Map(t)["merge"].(map[string]any)
	mergeID := merge["id"].(string)
	require.NotEmpty(t, merge["undo_until"])
	require.Equal(t, "GB", m.Map(t)["country"])
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/contacts/"+visitor, admin, nil).Status)
	require.Equal(t, ada, s.Do(http.MethodGet, "/v1/tickets/"+visitorTicket["id"].(string), admin, nil).Map(t)["contact_id"])
	require.Contains(t, timelineTypes(t, s, admin, ada), "merge ")
	for _, it := range s.Do(http.MethodGet, "/v1/contacts/"+ada+"/timeline", admin, nil).Map(t)["items"].([]any) {
		if it.(map[string]any)["type"] == "merge" {
			at, err := time.Parse(time.RFC3339Nano, it.(map[string]any)["detail"].(map[string]any)["undo_until"].(string))
			require.NoError(t, err)
			until, err := time.Parse(time.RFC3339Nano, merge["undo_until"].(string))
			require.NoError(t, err)
			require.WithinDuration(t, until, at, time.Second, "the timeline's undo_until is the merge's")
		}
	}
	// an agent changes a field the merge filled in: undo keeps the agent's value
	require.Equal(t, http.StatusOK, s.Do(http.MethodPatch, "/v1/contacts/"+ada, agent, map[string]any{"country": "IE"}).Status)

	undo := "/v1/contacts/" + ada + "/merges/" + mergeID + "/undo"
	require.Equal(t, http.StatusForbidden, s.Do(http.MethodPost, undo, agent, nil).Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodPost, strings.Replace(undo, ada, visitor, 1), admin, nil).Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodPost, undo, other, nil).Status)
	u := s.Do(http.MethodPost, undo, admin, nil)
	require.Equal(t, http.StatusOK, u.Status, string(u.Body))
	require.Equal(t, visitor, u.Map(t)["restored"].(map[string]any)["id"])
	back := s.Do(http.MethodGet, "/v1/contacts/"+visitor, admin, nil)
	require.Equal(t, http.StatusOK, back.Status, string(back.Body))
	require.Contains(t, string(back.Body), `"external_user_id":"v-9"`)
	require.Equal(t, visitor, s.Do(http.MethodGet, "/v1/tickets/"+visitorTicket["id"].(string), admin, nil).Map(t)["contact_id"])
	require.Equal(t, before, timelineTypes(t, s, admin, visitor))
	adaNow := s.Do(http.MethodGet, "/v1/contacts/"+ada, admin, nil).Map(t)
	require.Equal(t, "IE", adaNow["country"])
	require.Equal(t, map[string]any{}, adaNow["properties"])
	require.NotContains(t, timelineTypes(t, s, admin, ada), "merge ")
	again := s.Do(http.MethodPost, undo, admin, nil)
	require.Equal(t, http.StatusConflict, again.Status, string(again.Body))
	require.Contains(t, string(again.Body), "undone already")

	// A new message from the visitor finds the restored contact again.
	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+widget+"/messages", admin, map[string]any{"external_id": "w-2",
		"thread_id": "v-9b", "from": map[string]any{"external_user_id": "v-9"}, "text": "Still there?"}).Status)
	testenv.Eventually(t, 15*time.Second, "the new ticket on the restored contact", func() bool {
		l := s.Do(http.MethodGet, "/v1/tickets?contact_id="+visitor, admin, nil).Map(t)["items"].([]any)
		return len(l) == 2
	})

	// After the grace period the undo is refused, saying why.
	m = s.Do(http.MethodPost, "/v1/contacts/"+ada+"/merge", admin, map[string]any{"from_contact_id": visitor})
	require.Equal(t, http.StatusOK, m.Status, string(m.Body))
	mergeID = m.Map(t)["merge"].(map[string]any)["id"].(string)
	_, err := s.Store.DB().Exec(`UPDATE contact_merges SET merged_at = merged_at - interval '11 minutes' WHERE id = $1`, mergeID)
	require.NoError(t, err)
	late := s.Do(http.MethodPost, "/v1/contacts/"+ada+"/merges/"+mergeID+"/undo", admin, nil)
	require.Equal(t, http.StatusGone, late.Status, string(late.Body))
	require.Contains(t, string(late.Body), "can be undone for 10 minutes")
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/contacts/"+visitor, admin, nil).Status)
}
