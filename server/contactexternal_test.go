package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestContactExternalIDsMatch: an external id (a channel's user id) added to a
// contact through the API is a matching identity: the app's next message from
// that user lands on the contact; it is unique per account (409 naming the
// contact and the merge route), can be removed again, and GET shows every identity.
func TestContactExternalIDsMatch(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	_, otherToken := s.Account("B", "professional")
	app := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Shop app", "config": map[string]any{"app_name": "Shop"}})
	key := s.Do(http.MethodPost, "/v1/channels/"+app+"/keys", token, nil).Map(t)["key"].(string)
	foreign := createChannel(t, s, otherToken, map[string]any{"type": "custom", "name": "Other app", "config": map[string]any{"app_name": "Other"}})

	r := s.Do(http.MethodPost, "/v1/contacts", token, map[string]any{"name": "Kim", "email": "kim@example.org", "phone": "+46701234567",
		"external_ids": []any{map[string]any{"channel_id": app, "external_user_id": "shop-user-7"}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	kim := r.Map(t)["id"].(string)

	// GET shows every identity.
	got := s.Do(http.MethodGet, "/v1/contacts/"+kim, token, nil).Map(t)["identities"].(map[string]any)
	require.Equal(t, []any{"kim@example.org"}, got["emails"])
	require.Equal(t, []any{"+46701234567"}, got["phones"])
	require.Equal(t, []any{map[string]any{"channel_id": app, "external_user_id": "shop-user-7"}}, got["external_ids"])

	// The app's message from that user is Kim's.
	in := s.Do(http.MethodPost, "/v1/channels/"+app+"/messages", key, map[string]any{"external_id": "m1", "thread_id": "order-1",
		"from": map[string]any{"external_user_id": "shop-user-7", "name": "K."}, "text": "Where is my order?"})
	require.Equal(t, http.StatusAccepted, in.Status, string(in.Body))
	require.Equal(t, kim, waitTicket(t, s, token, "channel_id="+app)["contact_id"], "the saved external id matches")

	// Unique per account: another contact claiming it is a 409 pointing at Kim and the merge route.
	r = s.Do(http.MethodPost, "/v1/contacts", token, map[string]any{"name": "Lee"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	lee := r.Map(t)["id"].(string)
	r = s.Do(http.MethodPatch, "/v1/contacts/"+lee, token, map[string]any{"external_ids": []any{
		map[string]any{"channel_id": app, "external_user_id": "shop-user-8"},
		map[string]any{"channel_id": app, "external_user_id": "shop-user-7"}}})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	p := r.Map(t)
	require.Equal(t, kim, p["contact_id"])
	require.Equal(t, "/v1/contacts/"+kim+"/merge", p["merge_url"])
	require.Equal(t, "external_ids[1]", p["errors"].([]any)[0].(map[string]any)["field"])
	require.Empty(t, s.Do(http.MethodGet, "/v1/contacts/"+lee, token, nil).Map(t)["identities"].(map[string]any)["external_ids"],
		"a refused write stores nothing")

	// Bad input names the field; another account's channel is not a channel of this account.
	for _, bad := range []map[string]any{
		{"channel_id": foreign, "external_user_id": "x"},
		{"channel_id": app},
	} {
		r = s.Do(http.MethodPatch, "/v1/contacts/"+lee, token, map[string]any{"external_ids": []any{bad}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
		require.Contains(t, string(r.Body), `"external_ids[0]`)
	}

	// Removed from Kim (PATCH replaces the list), the id is free: Lee takes it and its next message is Lee's.
	r = s.Do(http.MethodPatch, "/v1/contacts/"+kim, token, map[string]any{"external_ids": []any{}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Empty(t, r.Map(t)["identities"].(map[string]any)["external_ids"])
	require.Equal(t, []any{"+46701234567"}, r.Map(t)["identities"].(map[string]any)["phones"], "other identities stay")
	r = s.Do(http.MethodPatch, "/v1/contacts/"+lee, token, map[string]any{"external_ids": []any{
		map[string]any{"channel_id": app, "external_user_id": "shop-user-7"}}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	r = s.Do(http.MethodPatch, "/v1/contacts/"+lee, token, map[string]any{"name": "Lee L."})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Len(t, r.Map(t)["identities"].(map[string]any)["external_ids"], 1, "a PATCH without external_ids keeps them")
	in = s.Do(http.MethodPost, "/v1/channels/"+app+"/messages", key, map[string]any{"external_id": "m2", "thread_id": "order-2",
		"from": map[string]any{"external_user_id": "shop-user-7"}, "text": "New order"})
	require.Equal(t, http.StatusAccepted, in.Status, string(in.Body))
	testenv.Eventually(t, 15*time.Second, "the second ticket on Lee", func() bool {
		for _, it := range s.Do(http.MethodGet, "/v1/tickets?channel_id="+app, token, nil).Map(t)["items"].([]any) {
			if it.(map[string]any)["contact_id"] == lee {
				return true
			}
		}
		return false
	})
}
