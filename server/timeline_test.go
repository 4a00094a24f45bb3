package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

func TestContactTimelineMergeAndFields(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	chat := createChannel(t, s, token, map[string]any{"type": "chat", "name": "Chat"})
	form := formChannel(t, s, token, false)
	line := createChannel(t, s, token, map[string]any{"type": "calling", "name": "Line", "config": map[string]any{"phone_number": "+46850001234"}})

	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+chat+"/messages", token, map[string]any{"external_id": "c-1",
		"thread_id": "t-1", "from": map[string]any{"email": "ada@example.com", "name": "Ada"}, "text": "Hello from chat"}).Status)
	chatTicket := waitTicket(t, s, token, "channel_id="+chat)
	ada := chatTicket["contact_id"].(string)
	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+form+"/submissions", token, map[string]any{"external_id": "f-1",
		"fields": map[string]any{"email": "ada@example.com", "topic": "billing", "message": "Invoice?", "utm_source": "ads"}}).Status)
	formTicket := waitTicket(t, s, token, "channel_id="+form)
	require.Equal(t, ada, formTicket["contact_id"])
	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+line+"/calls", token, map[string]any{"call_id": "k-1",
		"from_number": "+46701234567", "status": "missed"}).Status)
	callTicket := waitTicket(t, s, token, "channel_id="+line)
	caller := callTicket["contact_id"].(string)
	require.NotEqual(t, ada, caller)
	require.Equal(t, "+46701234567", s.Do(http.MethodGet, "/v1/contacts/"+caller, token, nil).Map(t)["phone"])

	// Ada's timeline: newest first, hidden form fields included, walked page by page without repeats.
	timeline := func(contact string) []map[string]any {
		var all []map[string]any
		cursor := ""
		for range 20 {
			r := s.Do(http.MethodGet, "/v1/contacts/"+contact+"/timeline?limit=2"+cursor, token, nil)
			require.Equal(t, http.StatusOK, r.Status, string(r.Body))
			m := r.Map(t)
			for _, it := range m["items"].([]any) {
				all = append(all, it.(map[string]any))
			}
			next, _ := m["next_cursor"].(string)
			if next == "" {
				return all
			}
			cursor = "&cursor=" + next
		}
		t.Fatal("timeline pages never end")
		return nil
	}
	types := func(items []map[string]any) []string {
		var out []string
		seen := map[string]bool{}
		var prev time.Time
		for i, it := range items {
			id := it["type"].(string) + it["id"].(string)
			require.False(t, seen[id], "repeated %s", id)
			seen[id] = true
			at, err := time.Parse(time.RFC3339Nano, it["at"].(string))
			require.NoError(t, err)
			if i > 0 {
				require.False(t, at.After(prev), "newest first")
			}
			prev = at
			out = append(out, it["type"].(string))
		}
		return out
	}
	items := timeline(ada)
	require.ElementsMatch(t, []string{"message", "ticket", "submission", "ticket"}, types(items))
	for _, it := range items {
		if it["type"] == "submission" {
			require.Equal(t, "ads", it["detail"].(map[string]any)["hidden"].(map[string]any)["utm_source"])
			require.Equal(t, formTicket["id"], it["ticket_id"])
			require.Equal(t, form, it["channel_id"])
		}
	}
	require.Equal(t, http.StatusUnprocessableEntity, s.Do(http.MethodGet, "/v1/contacts/"+ada+"/timeline?cursor=Zm9v", token, nil).Status)

	// Merge the caller into Ada: identities, tickets and timeline move; the merged contact is gone.
	require.Equal(t, http.StatusUnprocessableEntity, s.Do(http.MethodPost, "/v1/contacts/"+ada+"/merge", token, map[string]any{"from_contact_id": ada}).Status)
	merged := s.Do(http.MethodPost, "/v1/contacts/"+ada+"/merge", token, map[string]any{"from_contact_id": caller})
	require.Equal(t, http.StatusOK, merged.Status, string(merged.Body))
	m := merged.Map(t)
	require.Equal(t, ada, m["id"])
	require.Equal(t, "ada@example.com", m["email"])
	require.Equal(t, "+46701234567", m["phone"])
	gone := s.Do(http.MethodGet, "/v1/contacts/"+caller, token, nil)
	require.Equal(t, http.StatusNotFound, gone.Status)
	require.Contains(t, string(gone.Body), "merged into "+ada)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/contacts/"+caller+"/timeline", token, nil).Status)
	require.NotContains(t, string(s.Do(http.MethodGet, "/v1/contacts", token, nil).Body), caller)
	require.Equal(t, http.StatusUnprocessableEntity, s.Do(http.MethodPost, "/v1/contacts/"+ada+"/merge", token, map[string]any{"from_contact_id": caller}).Status)
	require.Contains(t, string(s.Do(http.MethodGet, "/v1/tickets?contact_id="+ada, token, nil).Body), callTicket["id"].(string))
	var owner string
	require.NoError(t, s.Store.DB().Get(&owner, `SELECT contact_id FROM contact_identities WHERE kind = 'phone' AND value = '+46701234567'`))
	require.Equal(t, ada, owner)
	require.ElementsMatch(t, []string{"message", "ticket", "submission", "ticket", "call", "ticket", "merge"}, types(timeline(ada)))

	// Phone, country, language and company are fields of their own, validated, and rules read them.
	bad := s.Do(http.MethodPatch, "/v1/contacts/"+ada, token, map[string]any{"country": "Sweden", "phone": "12", "language": "not a tag!"})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status, string(bad.Body))
	require.Contains(t, string(bad.Body), `"country"`)
	p := s.Do(http.MethodPatch, "/v1/contacts/"+ada, token, map[string]any{"country": "SE", "phone": "070-765 43 21", "language": "sv", "company": "Acme"})
	require.Equal(t, http.StatusOK, p.Status, string(p.Body))
	require.Equal(t, "+46707654321", p.Map(t)["phone"])
	rule := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "vip", "kind": "property",
		"when": `contact.company == "Acme" && contact.country == "SE" && contact.language == "sv" && contact.phone == "+46707654321"`, "set": map[string]any{"priority": "urgent"}})
	require.Equal(t, http.StatusCreated, rule.Status, string(rule.Body))
	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+chat+"/messages", token, map[string]any{"external_id": "c-2",
		"thread_id": "t-2", "from": map[string]any{"email": "ada@example.com"}, "text": "Me again"}).Status)
	testenv.Eventually(t, 15*time.Second, "the rule on contact fields", func() bool {
		return strings.Contains(string(s.Do(http.MethodGet, "/v1/tickets?priority=urgent&contact_id="+ada, token, nil).Body), `"priority":"urgent"`)
	})
}
