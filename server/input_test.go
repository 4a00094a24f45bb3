package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
)

// rawDo sends body with exactly the headers given (no Content-Type unless set).
func rawDo(t *testing.T, method, url string, header map[string]string, body string) testenv.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// requireProblem checks a problem+json answer of status naming field (when not "").
func requireProblem(t *testing.T, r testenv.Response, status int, field string) {
	t.Helper()
	require.Equal(t, status, r.Status, string(r.Body))
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), string(r.Body))
	p := r.Map(t)
	require.EqualValues(t, status, p["status"])
	if field == "" {
		return
	}
	var fields []string
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		fields = append(fields, e.(map[string]any)["field"].(string))
	}
	require.Contains(t, fields, field, string(r.Body))
}

// The hostile requests that answered 500 (issue 9, defect 7) and the
// leniencies it lists, each now a 4xx problem naming the field.
func TestBadInputIsA4xxNamingTheField(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	ch := chatChannel(t, s, token)
	auth := map[string]string{"Authorization": "Bearer " + token}
	jsonAuth := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
	u := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "kim@acme.test", "name": "Kim"})
	require.Equal(t, http.StatusCreated, u.Status, string(u.Body))
	user := u.Map(t)["id"].(string)

	// NUL and invalid UTF-8 in path ids, query values and cursors.
	requireProblem(t, rawDo(t, http.MethodGet, s.HTTP.URL+"/v1/users/%00", auth, ""), 422, "id")
	requireProblem(t, rawDo(t, http.MethodGet, s.HTTP.URL+"/v1/tickets/%FF%FE", auth, ""), 422, "id")
	requireProblem(t, rawDo(t, http.MethodGet, s.HTTP.URL+"/v1/tickets?assignee_id=%00", auth, ""), 422, "assignee_id")
	requireProblem(t, rawDo(t, http.MethodGet, s.HTTP.URL+"/v1/contacts?email=%C3%28", auth, ""), 422, "email")
	requireProblem(t, rawDo(t, http.MethodGet, s.HTTP.URL+"/v1/tickets?cursor=garbage", auth, ""), 422, "cursor")
	requireProblem(t, rawDo(t, http.MethodGet, s.HTTP.URL+"/v1/users?cursor=AP8", auth, ""), 422, "cursor")

	// JSON keys match exactly, once.
	msgs := s.HTTP.URL + "/v1/channels/" + ch + "/messages"
	requireProblem(t, rawDo(t, http.MethodPost, msgs, jsonAuth, `{"external_id":"a","EXTERNAL_ID":"b","text":"x"}`), 422, "EXTERNAL_ID")
	requireProblem(t, rawDo(t, http.MethodPost, msgs, jsonAuth, `{"External_Id":"a","text":"x"}`), 422, "External_Id")
	requireProblem(t, rawDo(t, http.MethodPost, msgs, jsonAuth, `{"external_id":"a","from":{"EMAIL":"a@b.se"},"text":"x"}`), 422, "from.EMAIL")
	requireProblem(t, rawDo(t, http.MethodPost, msgs, jsonAuth, `{"external_id":"a","external_id":"b","text":"x"}`), 422, "external_id")
	requireProblem(t, rawDo(t, http.MethodPatch, s.HTTP.URL+"/v1/users/"+user, jsonAuth, `{"Name":"x"}`), 422, "Name")

	// A body declared as something other than JSON is refused; none, JSON and +json types are accepted.
	requireProblem(t, rawDo(t, http.MethodPost, msgs, map[string]string{"Authorization": "Bearer " + token, "Content-Type": "text/plain"},
		`{"external_id":"ct-1","text":"x"}`), 415, "")
	requireProblem(t, rawDo(t, http.MethodPost, msgs, map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/x-www-form-urlencoded"},
		`{"external_id":"ct-2","text":"x"}`), 415, "")
	for i, ctype := range []string{"", "application/json", "application/json; charset=utf-8", "application/merge-patch+json"} {
		h := map[string]string{"Authorization": "Bearer " + token}
		if ctype != "" {
			h["Content-Type"] = ctype
		}
		r := rawDo(t, http.MethodPost, msgs, h, `{"external_id":"ok-`+string(rune('a'+i))+`","text":"x"}`)
		require.Equal(t, http.StatusAccepted, r.Status, "%q: %s", ctype, r.Body)
	}

	// null and non-object bodies; blank enum values; control characters in names.
	requireProblem(t, rawDo(t, http.MethodPost, msgs, jsonAuth, `null`), 422, "body")
	requireProblem(t, rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/users", jsonAuth, `[]`), 422, "body")
	requireProblem(t, rawDo(t, http.MethodPut, s.HTTP.URL+"/v1/users/"+user+"/availability", jsonAuth, `{"availability":" "}`), 422, "availability")
	requireProblem(t, rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/channels", jsonAuth,
		`{"type":"chat","name":"C","ticket_defaults":{"status":"  "}}`), 422, "ticket_defaults.status")
	requireProblem(t, rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/channels", jsonAuth, `{"type":"chat","name":" \t "}`), 422, "name")
	requireProblem(t, rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/teams", jsonAuth, `{"name":"Tier\u00002"}`), 422, "name")
	requireProblem(t, rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/teams", jsonAuth, `{"name":"Tier\u001b[31m2"}`), 422, "name")
	requireProblem(t, rawDo(t, http.MethodPatch, s.HTTP.URL+"/v1/users/"+user, jsonAuth, `{"name":"Kim\nAdmin"}`), 422, "name")
	requireProblem(t, rawDo(t, http.MethodPost, msgs, jsonAuth, `{"external_id":"n1","from":{"name":"Eve\r\n"},"text":"x"}`), 422, "from.name")

	// Not the text/html of a redirect, not net/http's text/plain.
	requireProblem(t, rawDo(t, http.MethodGet, s.HTTP.URL+"/v1/users/", auth, ""), 404, "")
	big := map[string]string{"Authorization": "Bearer " + token, "X-Big": strings.Repeat("b", 100<<10)}
	requireProblem(t, rawDo(t, http.MethodGet, s.HTTP.URL+"/v1/users", big, ""), 431, "")
}

// TestSlowRequestBodyIs408 serves the API with a short read timeout and sends
// half a body, then nothing: the answer is 408 problem+json, not 500.
func TestSlowRequestBodyIs408(t *testing.T) {
	st := testenv.Store(t)
	_, token, err := st.CreateAccount(context.Background(), "Slow", "starter", false)
	require.NoError(t, err)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	defer tc.Close()
	hs := httptestServerWith(t, server.New(st, tc, server.Config{ConversationIDs: testenv.ConversationIDs(t)}, quietLog(), nil, nil), func(srv *http.Server) {
		srv.ReadTimeout = 500 * time.Millisecond
	})
	pr, pw := io.Pipe()
	defer pw.Close()
	req, err := http.NewRequest(http.MethodPost, hs+"/v1/users", pr)
	require.NoError(t, err)
	req.ContentLength = 100
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	go func() { _, _ = pw.Write([]byte(`{"email":"slow@`)) }() // and then nothing
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode, string(b))
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
}

// httptestServerWith serves s on an httptest server whose http.Server configure adjusts.
func httptestServerWith(t *testing.T, s *server.Server, configure func(*http.Server)) string {
	hs := httptest.NewUnstartedServer(s.Handler())
	configure(hs.Config)
	hs.Start()
	t.Cleanup(hs.Close)
	return hs.URL
}
