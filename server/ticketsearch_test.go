package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/searchdata"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
)

// searchAPI is a light API (no Temporal: search and views read PostgreSQL only) over two
// generated accounts, with an admin and two agent tokens of the first and an admin of the second.
type searchAPI struct {
	base                  string
	admin, agent, agent2  string
	otherAdmin, bareAdmin string // bareAdmin: an admin token bound to no user
	acc                   searchdata.Account
	do                    func(method, path, token string, body any) testenv.Response
}

func newSearchAPI(t *testing.T) searchAPI {
	t.Helper()
	st := testenv.Store(t)
	ctx := context.Background()
	a, err := searchdata.Generate(ctx, st.DB(), searchdata.Spec{Tag: "a", Tickets: 300, Messages: 900, Contacts: 100, Users: 3, Teams: 2})
	require.NoError(t, err)
	b, err := searchdata.Generate(ctx, st.DB(), searchdata.Spec{Tag: "b", Tickets: 50, Messages: 100, Contacts: 10, Users: 1, Teams: 1})
	require.NoError(t, err)
	api := searchAPI{acc: a}
	api.admin, err = st.CreateUserToken(ctx, a.ID, a.UserIDs[2], domain.RoleAdmin)
	require.NoError(t, err)
	api.agent, err = st.CreateUserToken(ctx, a.ID, a.UserIDs[0], domain.RoleAgent)
	require.NoError(t, err)
	api.agent2, err = st.CreateUserToken(ctx, a.ID, a.UserIDs[1], domain.RoleAgent)
	require.NoError(t, err)
	api.otherAdmin, err = st.CreateUserToken(ctx, b.ID, b.UserIDs[0], domain.RoleAdmin)
	require.NoError(t, err)
	api.bareAdmin = "rdk_bare_admin_of_a"
	require.NoError(t, st.EnsureAdminToken(ctx, a.ID, api.bareAdmin))
	api.base = httptestServer(t, server.New(st, nil, server.Config{ConversationIDs: testenv.ConversationIDs(t)}, quietLog(), nil, nil))
	api.do = func(method, path, token string, body any) testenv.Response {
		return testenv.Do(t, api.base, method, path, token, body)
	}
	return api
}

func ticketIDs(t *testing.T, r testenv.Response) []string {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var out []string
	for _, it := range r.Map(t)["items"].([]any) {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func TestTicketSearchAPI(t *testing.T) {
	api := newSearchAPI(t)

	// q finds tickets by their messages; every result is the caller's account's.
	found := ticketIDs(t, api.do(http.MethodGet, "/v1/tickets?q=lamp&limit=500", api.agent, nil))
	require.NotEmpty(t, found)
	for _, id := range found {
		require.True(t, strings.HasPrefix(id, "tkt_a_"), id)
	}
	require.Empty(t, ticketIDs(t, api.do(http.MethodGet, "/v1/tickets?q=nosuchwordanywhere", api.agent, nil)))

	// assignee_id=me is the token's user; none is unassigned.
	r := api.do(http.MethodGet, "/v1/tickets?assignee_id=me&limit=500", api.agent, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	for _, it := range r.Map(t)["items"].([]any) {
		require.Equal(t, api.acc.UserIDs[0], it.(map[string]any)["assignee"].(map[string]any)["user_id"])
	}
	for _, it := range api.do(http.MethodGet, "/v1/tickets?assignee_id=none&status=open,new", api.agent, nil).Map(t)["items"].([]any) {
		tk := it.(map[string]any)
		require.Nil(t, tk["assignee"].(map[string]any)["user_id"])
		require.Contains(t, []any{"open", "new"}, tk["status"])
		require.NotNil(t, tk["tags"])
	}

	// Pages of a time sort walk every matching ticket once.
	seen := map[string]bool{}
	path := "/v1/tickets?status_not=closed&sort=-updated_at&limit=7"
	for path != "" {
		r := api.do(http.MethodGet, path, api.agent, nil)
		page := ticketIDs(t, r)
		for _, id := range page {
			require.False(t, seen[id], "ticket %s twice", id)
			seen[id] = true
		}
		next, _ := r.Map(t)["next_cursor"].(string)
		path = ""
		if next != "" {
			path = "/v1/tickets?status_not=closed&sort=-updated_at&limit=7&cursor=" + next
		}
	}
	all := ticketIDs(t, api.do(http.MethodGet, "/v1/tickets?status_not=closed&limit=500", api.agent, nil))
	require.Len(t, seen, len(all))

	// Bad input is a 422 naming the parameter, never a 500.
	bad := map[string]string{
		"/v1/tickets?q=lamp&colour=red":                    "colour",
		"/v1/tickets?sort=priority":                        "sort",
		"/v1/tickets?created_after=yesterday":              "created_after",
		"/v1/tickets?updated_before=2024-13-01":            "updated_before",
		"/v1/tickets?routing_state=lost":                   "routing_state",
		"/v1/tickets?q=" + strings.Repeat("x", 501):        "q",
		"/v1/tickets?q=a%00b":                              "q",
		"/v1/tickets?q=%ff":                                "q",
		"/v1/tickets?q=a&q=b":                              "q",
		"/v1/tickets?status=" + strings.Repeat("s,", 51):   "status",
		"/v1/tickets?sort=-updated_at&cursor=dGt0X2FfMDAx": "cursor", // an id cursor with a time sort
		"/v1/tickets?cursor=%21%21":                        "cursor",
		"/v1/tickets?view=no-such-view":                    "", // 404
		"/v1/views/mine/tickets?view=open":                 "view",
		"/v1/tickets?assignee_id=me":                       "assignee_id", // an admin token without a user
	}
	for path, field := range bad {
		token := api.agent
		if field == "assignee_id" {
			token = api.bareAdmin
		}
		r := api.do(http.MethodGet, path, token, nil)
		if field == "" {
			require.Equal(t, http.StatusNotFound, r.Status, path)
			continue
		}
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", path, r.Body)
		require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), path)
		require.Contains(t, string(r.Body), `"field":"`+field+`"`, path)
	}
}

func TestTicketViewsAPI(t *testing.T) {
	api := newSearchAPI(t)

	// The built-in views; mine only for a token with a user.
	var builtins []string
	for _, it := range api.do(http.MethodGet, "/v1/views", api.agent, nil).Map(t)["items"].([]any) {
		builtins = append(builtins, it.(map[string]any)["id"].(string))
	}
	require.Equal(t, []string{"mine", "unassigned", "pending", "open"}, builtins)
	require.Len(t, api.do(http.MethodGet, "/v1/views", api.bareAdmin, nil).Map(t)["items"], 3)
	require.Equal(t, http.StatusConflict, api.do(http.MethodDelete, "/v1/views/mine", api.admin, nil).Status)
	require.Equal(t, http.StatusConflict, api.do(http.MethodPatch, "/v1/views/open", api.admin, map[string]any{"name": "x"}).Status)

	// A private view: its owner sees it, another agent does not.
	r := api.do(http.MethodPost, "/v1/views", api.agent, map[string]any{"name": "My urgent", "filters": map[string]any{"priority": []string{"urgent"}, "assignee_id": []string{"me"}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	private := r.Map(t)
	require.Equal(t, false, private["shared"])
	require.Equal(t, api.acc.UserIDs[0], private["owner_user_id"])
	pid := private["id"].(string)
	require.Equal(t, http.StatusNotFound, api.do(http.MethodGet, "/v1/views/"+pid, api.agent2, nil).Status)
	require.Equal(t, http.StatusNotFound, api.do(http.MethodGet, "/v1/views/"+pid+"/tickets", api.agent2, nil).Status)
	require.Equal(t, http.StatusNotFound, api.do(http.MethodDelete, "/v1/views/"+pid, api.agent2, nil).Status)
	require.Equal(t, http.StatusNotFound, api.do(http.MethodGet, "/v1/tickets?view="+pid, api.otherAdmin, nil).Status)
	for _, tk := range api.do(http.MethodGet, "/v1/views/"+pid+"/tickets?limit=500", api.agent, nil).Map(t)["items"].([]any) {
		m := tk.(map[string]any)
		require.Equal(t, "urgent", m["priority"])
		require.Equal(t, api.acc.UserIDs[0], m["assignee"].(map[string]any)["user_id"])
	}
	// The request's filters replace the view's of the same name.
	for _, tk := range api.do(http.MethodGet, "/v1/tickets?view="+pid+"&priority=low&limit=500", api.agent, nil).Map(t)["items"].([]any) {
		require.Equal(t, "low", tk.(map[string]any)["priority"])
	}

	// Shared views: admins only; agents see them but cannot change them.
	require.Equal(t, http.StatusForbidden, api.do(http.MethodPost, "/v1/views", api.agent, map[string]any{"name": "Team", "shared": true}).Status)
	r = api.do(http.MethodPost, "/v1/views", api.admin, map[string]any{"name": "VIP", "shared": true, "filters": map[string]any{"tags": []string{"vip"}, "q": "lamp"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	sid := r.Map(t)["id"].(string)
	require.Equal(t, http.StatusOK, api.do(http.MethodGet, "/v1/views/"+sid, api.agent2, nil).Status)
	require.Equal(t, http.StatusForbidden, api.do(http.MethodPatch, "/v1/views/"+sid, api.agent2, map[string]any{"name": "Mine now"}).Status)
	require.Equal(t, http.StatusForbidden, api.do(http.MethodDelete, "/v1/views/"+sid, api.agent2, nil).Status)
	require.Equal(t, http.StatusNotFound, api.do(http.MethodGet, "/v1/views/"+sid, api.otherAdmin, nil).Status)
	r = api.do(http.MethodPatch, "/v1/views/"+sid, api.admin, map[string]any{"name": "VIP lamps", "filters": map[string]any{"q": "lamp", "tags": []string{"vip"}, "sort": "-updated_at"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "VIP lamps", r.Map(t)["name"])
	require.Equal(t, http.StatusUnprocessableEntity, api.do(http.MethodPatch, "/v1/views/"+sid, api.admin, map[string]any{"shared": false}).Status)

	// Bad filters name the field.
	for body, field := range map[string]map[string]any{
		"filters.sort":          {"name": "x", "filters": map[string]any{"sort": "random"}},
		"filters.created_after": {"name": "x", "filters": map[string]any{"created_after": "soon"}},
		"filters.q":             {"name": "x", "filters": map[string]any{"q": strings.Repeat("é", 501)}},
		"filters.colour":        {"name": "x", "filters": map[string]any{"colour": "red"}},
		"shared":                {"name": "x"}, // the bare admin has no user to own a private view
	} {
		token := api.agent
		if body == "shared" {
			token = api.bareAdmin
		}
		r := api.do(http.MethodPost, "/v1/views", token, field)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", body, r.Body)
		require.Contains(t, string(r.Body), `"field":"`+body+`"`)
	}

	// Counts: every view the caller sees, each the length of its ticket list.
	r = api.do(http.MethodGet, "/v1/views/counts", api.agent, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	counts := map[string]float64{}
	for _, it := range r.Map(t)["items"].([]any) {
		m := it.(map[string]any)
		counts[m["view_id"].(string)] = m["count"].(float64)
		require.Equal(t, false, m["more"])
	}
	require.Len(t, counts, 6)
	for id, n := range counts {
		require.Len(t, ticketIDs(t, api.do(http.MethodGet, "/v1/views/"+id+"/tickets?limit=500", api.agent, nil)), int(n), id)
	}
	bare := api.do(http.MethodGet, "/v1/views/counts", api.bareAdmin, nil).Map(t)["items"].([]any)
	require.Len(t, bare, 4, "no mine for a token without a user; the shared view")
	other := api.do(http.MethodGet, "/v1/views/counts", api.agent2, nil).Map(t)["items"].([]any)
	require.Len(t, other, 5, "the other agent sees the built-ins and the shared view, not the private one")

	require.Equal(t, http.StatusNoContent, api.do(http.MethodDelete, "/v1/views/"+pid, api.agent, nil).Status)
	require.Equal(t, http.StatusNotFound, api.do(http.MethodGet, "/v1/views/"+pid, api.agent, nil).Status)
}
