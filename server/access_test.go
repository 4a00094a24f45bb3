package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// fixtures are one resource of each kind in an account, for walking the routes.
type fixtures struct {
	token, agent, agentUser string
	ids                     map[string]string // path prefix → id
}

func makeFixtures(t *testing.T, s *testenv.Stack, name string) fixtures {
	t.Helper()
	_, token := s.Account(name, "enterprise")
	f := fixtures{token: token, ids: map[string]string{}}
	user := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "agent@" + strings.ToLower(name) + ".test", "name": "Agent", "availability": "available"})
	require.Equal(t, http.StatusCreated, user.Status, string(user.Body))
	f.agentUser = user.Map(t)["id"].(string)
	f.ids["/v1/users/"] = f.agentUser
	tok := s.Do(http.MethodPost, "/v1/users/"+f.agentUser+"/tokens", token, nil)
	require.Equal(t, http.StatusCreated, tok.Status, string(tok.Body))
	f.agent = tok.Map(t)["token"].(string)
	team := s.Do(http.MethodPost, "/v1/teams", token, map[string]any{"name": "Tier 1", "members": []string{f.agentUser}})
	require.Equal(t, http.StatusCreated, team.Status, string(team.Body))
	f.ids["/v1/teams/"] = team.Map(t)["id"].(string)
	contact := s.Do(http.MethodPost, "/v1/contacts", token, map[string]any{"email": "customer@example.com", "name": "Customer"})
	require.Equal(t, http.StatusCreated, contact.Status, string(contact.Body))
	f.ids["/v1/contacts/"] = contact.Map(t)["id"].(string)
	// a merge into the contact, for its undo route
	dup := s.Do(http.MethodPost, "/v1/contacts", token, map[string]any{"name": "Customer (2)"})
	require.Equal(t, http.StatusCreated, dup.Status, string(dup.Body))
	merge := s.Do(http.MethodPost, "/v1/contacts/"+f.ids["/v1/contacts/"]+"/merge", token, map[string]any{"from_contact_id": dup.Map(t)["id"]})
	require.Equal(t, http.StatusOK, merge.Status, string(merge.Body))
	f.ids["merge"] = merge.Map(t)["merge"].(map[string]any)["id"].(string)
	export := s.Do(http.MethodPost, "/v1/contacts/"+f.ids["/v1/contacts/"]+"/export", token, nil)
	require.Equal(t, http.StatusAccepted, export.Status, string(export.Body))
	f.ids["/v1/exports/"] = export.Map(t)["id"].(string)
	f.ids["/v1/channels/"] = chatChannel(t, s, token)
	rule := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "VIP", "kind": "property", "when": "true", "set": map[string]any{"priority": "high"}})
	require.Equal(t, http.StatusCreated, rule.Status, string(rule.Body))
	f.ids["/v1/rules/"] = rule.Map(t)["id"].(string)
	macro := s.Do(http.MethodPost, "/v1/macros", token, map[string]any{"name": "Thanks", "body": "Thanks {{contact.first_name}}", "visibility": "shared"})
	require.Equal(t, http.StatusCreated, macro.Status, string(macro.Body))
	f.ids["/v1/macros/"] = macro.Map(t)["id"].(string)
	policy := s.Do(http.MethodPost, "/v1/sla-policies", token, map[string]any{"name": "Default", "targets": map[string]any{"resolution_minutes": 480}})
	require.Equal(t, http.StatusCreated, policy.Status, string(policy.Body))
	f.ids["/v1/sla-policies/"] = policy.Map(t)["id"].(string)
	view := s.Do(http.MethodPost, "/v1/views", token, map[string]any{"name": "Urgent", "shared": true, "filters": map[string]any{"priority": []string{"urgent"}}})
	require.Equal(t, http.StatusCreated, view.Status, string(view.Body))
	f.ids["/v1/views/"] = view.Map(t)["id"].(string)
	msg := s.Do(http.MethodPost, "/v1/channels/"+f.ids["/v1/channels/"]+"/messages", token,
		map[string]any{"external_id": "fx", "text": "hello", "from": map[string]any{"email": "customer@example.com"}})
	require.Equal(t, http.StatusAccepted, msg.Status, string(msg.Body))
	f.ids["/v1/deliveries/"] = msg.Map(t)["message_id"].(string)
	f.ids["/v1/tickets/"] = waitTicket(t, s, token, "")["id"].(string)

	// A mail with an attachment, for the message attachment routes.
	mail := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "email", "name": "Support",
		"config": map[string]any{"address": "support@" + strings.ToLower(name) + ".test"}})
	require.Equal(t, http.StatusCreated, mail.Status, string(mail.Body))
	raw := rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/channels/"+mail.Map(t)["id"].(string)+"/email",
		map[string]string{"Authorization": "Bearer " + token, "Content-Type": "message/rfc822"}, strings.ReplaceAll(`From: Customer <customer@example.com>
To: support@`+strings.ToLower(name)+`.test
Subject: Invoice
Message-ID: <fx-`+name+`@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

See the attached invoice.
--b
Content-Type: text/plain; name="invoice.txt"
Content-Disposition: attachment; filename="invoice.txt"

total: 42
--b--
`, "\n", "\r\n"))
	require.Equal(t, http.StatusAccepted, raw.Status, string(raw.Body))
	f.ids["/v1/messages/"] = raw.Map(t)["message_id"].(string)

	imp := rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/channels/"+f.ids["/v1/channels/"]+"/imports?include_history=true",
		map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/x-ndjson"},
		`{"external_id":"fx-import","contact":{"email":"customer@example.com"},"messages":[{"external_id":"fx-import-1","direction":"inbound","text":"hi","sent_at":"2024-01-02T03:04:05Z"}]}`+"\n")
	require.Equal(t, http.StatusAccepted, imp.Status, string(imp.Body))
	f.ids["/v1/imports/"] = imp.Map(t)["import_id"].(string)
	return f
}

func (f fixtures) path(p string) string {
	for prefix, id := range f.ids {
		if strings.HasPrefix(p, prefix) {
			return strings.NewReplacer(":id", id, ":n", "0", ":macro_id", f.ids["/v1/macros/"], ":merge_id", f.ids["merge"]).Replace(p)
		}
	}
	return p
}

// requiredQuery is the query a route cannot answer 200 without.
var requiredQuery = map[string]string{"/v1/reports": "from=2026-01-01&to=2026-01-31&group_by=channel"}

// TestEveryRouteEnforcesTokensRolesAndAccounts walks every /v1 route with no
// token, an agent token, another account's admin token and the right admin token.
func TestEveryRouteEnforcesTokensRolesAndAccounts(t *testing.T) {
	s := testenv.NewStack(t)
	a := makeFixtures(t, s, "Alpha")
	b := makeFixtures(t, s, "Beta")
	channelKey := s.Do(http.MethodPost, "/v1/channels/"+a.ids["/v1/channels/"]+"/keys", a.token, nil).Map(t)["key"].(string)

	for _, r := range s.API.Routes() {
		if !strings.HasPrefix(r.Path, "/v1/") || r.Path == "/v1/accounts" {
			continue
		}
		if r.Auth == "" {
			continue // public: the handler authenticates (the mailbox consent's callback checks its flow's state and browser cookie)
		}
		path := a.path(r.Path)
		if q, ok := requiredQuery[r.Path]; ok {
			path += "?" + q
		}
		name := r.Method + " " + r.Path
		t.Run(name, func(t *testing.T) {
			body := any(nil)
			if r.Method != http.MethodGet && r.Method != http.MethodDelete {
				body = map[string]any{}
			}
			require.Equal(t, http.StatusUnauthorized, s.Do(r.Method, path, "", body).Status, "no token")
			require.Equal(t, http.StatusUnauthorized, s.Do(r.Method, path, "rdk_forged", body).Status, "forged token")
			if r.Path == "/v1/events" {
				// a stream that stays open: TestLiveEventsStreamCatchUpAndIsolation covers agents, admins, stream tickets and other accounts
				require.Equal(t, http.StatusUnauthorized, s.Do(r.Method, path, channelKey, body).Status, "a channel key on the event stream")
				return
			}

			// A channel key opens its channel's inbound routes only.
			keyed := s.Do(r.Method, path, channelKey, body)
			if r.Auth == "channel" {
				require.NotContains(t, []int{401, 403, 404, 500}, keyed.Status, "the channel's key on its inbound route: %s", keyed.Body)
			} else {
				require.Equal(t, http.StatusUnauthorized, keyed.Status, "a channel key elsewhere: %s", keyed.Body)
			}

			agent := s.Do(r.Method, path, a.agent, body)
			switch {
			case r.Auth == "admin" || r.Auth == "channel":
				require.Equal(t, http.StatusForbidden, agent.Status, "agent on an admin route: %s", agent.Body)
			case (r.Method == http.MethodPatch || r.Method == http.MethodDelete) &&
				(r.Path == "/v1/macros/:id" || r.Path == "/v1/views/:id"):
				// the fixtures are shared with the account: only admins change them
				require.Equal(t, http.StatusForbidden, agent.Status, "agent changing a shared one: %s", agent.Body)
			case r.Path == "/v1/notifications/:id/read":
				// a notification is its recipient's alone (the resource tests cover the recipient)
				require.Equal(t, http.StatusNotFound, agent.Status, string(agent.Body))
				return
			case r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/availability"):
				// the fixture's user is the agent itself: allowed, but another user's is not
				other := s.Do(r.Method, strings.Replace(path, a.agentUser, b.agentUser, 1), a.agent, map[string]any{"availability": "away"})
				require.Equal(t, http.StatusForbidden, other.Status, string(other.Body))
			default:
				require.NotContains(t, []int{401, 403, 404}, agent.Status, "agent read: %s", agent.Body)
			}

			other := s.Do(r.Method, path, b.token, body)
			if strings.Contains(r.Path, ":id") {
				require.Equal(t, http.StatusNotFound, other.Status, "another account's resource: %s", other.Body)
			} else if r.Method == http.MethodGet {
				require.Equal(t, http.StatusOK, other.Status)
				for _, id := range a.ids {
					require.NotContains(t, string(other.Body), id, "another account's list leaks %s", id)
				}
			}

			if r.Method == http.MethodDelete {
				return // the right admin deleting is covered by the resource tests
			}
			own := s.Do(r.Method, path, a.token, body)
			if r.Path == "/v1/contacts/:id/erasure" {
				// no erasure was asked for the fixture's contact: its record is not found
				require.Equal(t, http.StatusNotFound, own.Status, string(own.Body))
				return
			}
			require.NotContains(t, []int{401, 403, 404, 500}, own.Status, "the right admin: %s", own.Body)
		})
	}
}

func TestAgentSetsOwnAvailability(t *testing.T) {
	s := testenv.NewStack(t)
	f := makeFixtures(t, s, "Alpha")
	r := s.Do(http.MethodPut, "/v1/users/"+f.agentUser+"/availability", f.agent, map[string]any{"availability": "away"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "away", r.Map(t)["availability"])
	r = s.Do(http.MethodPut, "/v1/users/"+f.agentUser+"/availability", f.agent, map[string]any{"availability": "sleeping"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	u, err := s.Store.User(context.Background(), mustAccount(t, s, f.token), f.agentUser)
	require.NoError(t, err)
	require.Equal(t, "away", u.Availability)
}

func mustAccount(t *testing.T, s *testenv.Stack, token string) string {
	p, err := s.Store.Authenticate(context.Background(), token)
	require.NoError(t, err)
	return p.AccountID
}
