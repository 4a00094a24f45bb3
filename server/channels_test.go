package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

var messengerConfig = map[string]any{
	"page_id": "1234567890", "page_access_token": "EAAB-page-token-secret", "app_secret": "app-secret-value",
	"verify_token": "verify-me", "greeting": "Hi! How can we help?", "instant_reply": "Thanks, an agent will answer soon.",
	"gdpr": map[string]any{"enabled": true, "consent": "explicit", "text": "We store your messages to answer you."},
}

func TestMessengerPageConnectsToOneAccountOnly(t *testing.T) {
	s := testenv.NewStack(t)
	_, a := s.Account("A", "starter")
	_, b := s.Account("B", "starter")
	body := map[string]any{"type": "messenger", "name": "Facebook", "config": messengerConfig}
	r := s.Do(http.MethodPost, "/v1/channels", a, body)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	r = s.Do(http.MethodPost, "/v1/channels", b, body)
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	require.Contains(t, r.Map(t)["detail"], "already connected")
}

func TestChannelSecretsAreSealedAndNeverReturned(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "messenger", "name": "Facebook", "config": messengerConfig})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch := r.Map(t)
	cfg := ch["config"].(map[string]any)
	require.Equal(t, "***", cfg["page_access_token"])
	require.Equal(t, "***", cfg["app_secret"])
	require.Equal(t, "1234567890", cfg["page_id"])
	require.Equal(t, "connected", ch["status"])
	for _, secret := range []string{"EAAB-page-token-secret", "app-secret-value"} {
		require.NotContains(t, string(r.Body), secret)
		got := s.Do(http.MethodGet, "/v1/channels/"+ch["id"].(string), token, nil)
		require.NotContains(t, string(got.Body), secret)
		var raw []byte
		require.NoError(t, s.Store.DB().Get(&raw, `SELECT convert_to(config::text, 'UTF8') || coalesce(config_sealed, ''::bytea) FROM channels WHERE id = $1`, ch["id"]))
		require.NotContains(t, string(raw), secret, "the raw row holds no plaintext secret")
	}
	full, err := s.Store.ChannelConfig(context.Background(), mustAccount(t, s, token), ch["id"].(string))
	require.NoError(t, err)
	require.Contains(t, string(full), "EAAB-page-token-secret", "the worker can unseal it")

	// PATCH with "***" keeps the secret; a new value replaces it; the version grows.
	p := s.Do(http.MethodPatch, "/v1/channels/"+ch["id"].(string), token, map[string]any{
		"name": "Facebook page", "config": map[string]any{"page_access_token": "***", "greeting": "Hej!"},
	})
	require.Equal(t, http.StatusOK, p.Status, string(p.Body))
	patched := p.Map(t)
	require.Equal(t, "Facebook page", patched["name"])
	require.EqualValues(t, 2, patched["version"])
	require.Equal(t, "Hej!", patched["config"].(map[string]any)["greeting"])
	full, err = s.Store.ChannelConfig(context.Background(), mustAccount(t, s, token), ch["id"].(string))
	require.NoError(t, err)
	require.Contains(t, string(full), "EAAB-page-token-secret")
	p = s.Do(http.MethodPatch, "/v1/channels/"+ch["id"].(string), token, map[string]any{"config": map[string]any{"page_access_token": "rotated-token"}})
	require.Equal(t, http.StatusOK, p.Status, string(p.Body))
	full, err = s.Store.ChannelConfig(context.Background(), mustAccount(t, s, token), ch["id"].(string))
	require.NoError(t, err)
	require.Contains(t, string(full), "rotated-token")
}

func TestChannelConfigErrorsNameTheField(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	cases := []struct {
		name  string
		body  string
		field string
	}{
		{"missing page id", `{"type":"messenger","name":"FB","config":{"page_access_token":"x","app_secret":"y"}}`, "config.page_id"},
		{"bad accent colour", `{"type":"chat","name":"Chat","config":{"accent_color":"red"}}`, "config.accent_color"},
		{"unknown config field", `{"type":"chat","name":"Chat","config":{"colour":"#112233"}}`, "config.colour"},
		{"office365 from name", `{"type":"email","name":"Mail","config":{"address":"support@acme.test","provider":"office365","from_name_mode":"company"}}`, "config.from_name_mode"},
		{"bad assign_to", `{"type":"chat","name":"Chat","routing":{"assign_to":"everyone"}}`, "routing.assign_to"},
		{"timeout too short", `{"type":"chat","name":"Chat","routing":{"assign_to":"none","timeout_seconds":1}}`, "routing.timeout_seconds"},
		{"users with none", `{"type":"chat","name":"Chat","routing":{"assign_to":"none","users":["usr_x"]}}`, "routing.users"},
		{"unknown routing user", `{"type":"chat","name":"Chat","routing":{"assign_to":"users_and_teams","users":["usr_x"]}}`, "routing.users[0]"},
		{"unknown routing team", `{"type":"chat","name":"Chat","routing":{"assign_to":"users_and_teams","teams":["team_x"]}}`, "routing.teams[0]"},
		{"missing name", `{"type":"chat"}`, "name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(http.MethodPost, "/v1/channels", token, tc.body)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
			require.Contains(t, fieldErrors(t, r), tc.field, string(r.Body))
		})
	}
	r := s.Do(http.MethodPost, "/v1/channels", token, `{"type":"email","name":"Mail","config":{"address":"support@acme.test","provider":"office365","from_name_mode":"company"}}`)
	require.Contains(t, strings.ToLower(fieldErrors(t, r)["config.from_name_mode"]["message"].(string)), "office365")
}

func TestPremiumChannelsNeedTier(t *testing.T) {
	s := testenv.NewStack(t)
	_, starter := s.Account("Small", "starter")
	_, pro := s.Account("Pro", "professional")
	for _, body := range []map[string]any{
		{"type": "whatsapp", "name": "WA", "config": map[string]any{"phone_number_id": "1098765", "access_token": "t", "app_secret": "s"}},
		{"type": "calling", "name": "Phone", "config": map[string]any{"phone_number": "+46701234567"}},
		{"type": "custom", "name": "App", "config": map[string]any{"app_name": "Portal", "outbound_url": "https://portal.example.com/hook", "secret": "s"}},
	} {
		r := s.Do(http.MethodPost, "/v1/channels", starter, body)
		require.Equal(t, http.StatusForbidden, r.Status, string(r.Body))
		require.Contains(t, r.Map(t)["detail"], "professional")
		r = s.Do(http.MethodPost, "/v1/channels", pro, body)
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	}
}

func TestTeamAddressIsNobodysOwnEmail(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	u := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "Kim@Acme.test", "name": "Kim"})
	require.Equal(t, http.StatusCreated, u.Status, string(u.Body))
	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "email", "name": "Kim's", "config": map[string]any{"address": "kim@acme.test"}})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))

	r = s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "email", "name": "Support", "config": map[string]any{"address": "support@acme.test"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	u = s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "SUPPORT@acme.test", "name": "Impostor"})
	require.Equal(t, http.StatusConflict, u.Status, string(u.Body))
	require.Contains(t, u.Map(t)["detail"], "team address")
}

func TestRoutingTargetsMustBeAssignable(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	_, other := s.Account("B", "starter")
	agent := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "a@acme.test", "skills": []string{"billing"}, "capacity": 3}).Map(t)
	viewer := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "v@acme.test", "has_profile": false}).Map(t)
	foreign := s.Do(http.MethodPost, "/v1/users", other, map[string]any{"email": "f@b.test"}).Map(t)
	team := s.Do(http.MethodPost, "/v1/teams", token, map[string]any{"name": "Billing", "members": []string{agent["id"].(string)}}).Map(t)

	routing := func(users, teams []string) map[string]any {
		return map[string]any{"type": "chat", "name": "Chat", "routing": map[string]any{"assign_to": "users_and_teams", "users": users, "teams": teams, "timeout_seconds": 120}}
	}
	r := s.Do(http.MethodPost, "/v1/channels", token, routing([]string{viewer["id"].(string)}, nil))
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, fieldErrors(t, r)["routing.users[0]"]["message"], "has_profile")
	require.Contains(t, fieldErrors(t, r)["routing.users[0]"]["message"], viewer["id"])
	r = s.Do(http.MethodPost, "/v1/channels", token, routing([]string{foreign["id"].(string)}, nil))
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, fieldErrors(t, r), "routing.users[0]")

	r = s.Do(http.MethodPost, "/v1/channels", token, routing([]string{agent["id"].(string)}, []string{team["id"].(string)}))
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch := r.Map(t)
	rt := ch["routing"].(map[string]any)
	require.Equal(t, true, rt["only_available"], "only available agents by default")
	require.EqualValues(t, 120, rt["timeout_seconds"])

	// The user and team cannot be deleted while the channel routes to them.
	d := s.Do(http.MethodDelete, "/v1/users/"+agent["id"].(string), token, nil)
	require.Equal(t, http.StatusConflict, d.Status)
	require.Contains(t, d.Map(t)["detail"], `"Chat"`)
	require.Equal(t, http.StatusConflict, s.Do(http.MethodDelete, "/v1/teams/"+team["id"].(string), token, nil).Status)

	// Routing edited by PATCH (merge patch), then the deletes go through.
	p := s.Do(http.MethodPatch, "/v1/channels/"+ch["id"].(string), token, map[string]any{"routing": map[string]any{"assign_to": "none", "users": []string{}, "teams": []string{}}})
	require.Equal(t, http.StatusOK, p.Status, string(p.Body))
	require.EqualValues(t, 120, p.Map(t)["routing"].(map[string]any)["timeout_seconds"], "unmentioned fields keep their value")
	require.Equal(t, http.StatusNoContent, s.Do(http.MethodDelete, "/v1/teams/"+team["id"].(string), token, nil).Status)
	require.Equal(t, http.StatusNoContent, s.Do(http.MethodDelete, "/v1/users/"+agent["id"].(string), token, nil).Status)
}

func TestUsersTeamsContactsLifecycle(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	u := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "ada@acme.test", "name": "Ada", "skills": []string{"billing", "swedish"}, "capacity": 4, "availability": "available"})
	require.Equal(t, http.StatusCreated, u.Status, string(u.Body))
	user := u.Map(t)
	require.Equal(t, true, user["has_profile"])
	require.Equal(t, http.StatusConflict, s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "ADA@acme.test"}).Status)
	bad := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "x@acme.test", "capacity": -1, "availability": "busy"})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	require.Contains(t, fieldErrors(t, bad), "capacity")
	require.Contains(t, fieldErrors(t, bad), "availability")

	p := s.Do(http.MethodPatch, "/v1/users/"+user["id"].(string), token, map[string]any{"capacity": 6})
	require.Equal(t, http.StatusOK, p.Status, string(p.Body))
	require.EqualValues(t, 6, p.Map(t)["capacity"])
	require.Equal(t, []any{"billing", "swedish"}, p.Map(t)["skills"])

	team := s.Do(http.MethodPost, "/v1/teams", token, map[string]any{"name": "Tier 1", "members": []string{user["id"].(string)}})
	require.Equal(t, http.StatusCreated, team.Status, string(team.Body))
	require.Equal(t, []any{user["id"]}, team.Map(t)["members"])
	bt := s.Do(http.MethodPost, "/v1/teams", token, map[string]any{"name": "Ghosts", "members": []string{"usr_ghost"}})
	require.Equal(t, http.StatusUnprocessableEntity, bt.Status)
	require.Contains(t, fieldErrors(t, bt), "members[0]")

	c := s.Do(http.MethodPost, "/v1/contacts", token, map[string]any{"email": "cust@example.com", "name": "Cust", "owner_user_id": user["id"]})
	require.Equal(t, http.StatusCreated, c.Status, string(c.Body))
	contact := c.Map(t)
	require.Equal(t, user["id"], contact["owner_user_id"])
	found := s.Do(http.MethodGet, "/v1/contacts?email=CUST@example.com", token, nil).Map(t)["items"].([]any)
	require.Len(t, found, 1)
	bc := s.Do(http.MethodPost, "/v1/contacts", token, map[string]any{"email": "z@example.com", "owner_user_id": "usr_ghost"})
	require.Equal(t, http.StatusUnprocessableEntity, bc.Status)
	require.Contains(t, fieldErrors(t, bc), "owner_user_id")
	pc := s.Do(http.MethodPatch, "/v1/contacts/"+contact["id"].(string), token, map[string]any{"name": "Customer", "properties": map[string]any{"vip": true}})
	require.Equal(t, http.StatusOK, pc.Status, string(pc.Body))
	var got map[string]any
	require.NoError(t, json.Unmarshal(pc.Body, &got))
	require.Equal(t, "Customer", got["name"])
	require.Equal(t, map[string]any{"vip": true}, got["properties"])
}

func TestListPagination(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	for range 5 {
		chatChannel(t, s, token)
	}
	seen := map[string]bool{}
	path := "/v1/channels?limit=2"
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5)
		page := s.Do(http.MethodGet, path, token, nil).Map(t)
		for _, it := range page["items"].([]any) {
			id := it.(map[string]any)["id"].(string)
			require.False(t, seen[id])
			seen[id] = true
		}
		next, ok := page["next_cursor"].(string)
		if !ok {
			break
		}
		path = "/v1/channels?limit=2&cursor=" + next
	}
	require.Len(t, seen, 5)
}
