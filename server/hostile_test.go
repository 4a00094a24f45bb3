package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// hostileSegments are path ids and query values an attacker sends, URL-escaped.
var hostileSegments = []string{
	"%00", "a%00b", "%FF", "%C3%28", "%ED%A0%80", // NUL, invalid UTF-8, a lone surrogate
	"%E2%80%AE%E2%80%8Fid", "%EF%BF%BE", "%F0%9F%98%80", "%F4%8F%BF%BF", "%F3%A0%80%81", // bidi, non-character, emoji, plane 16, plane 14
	"%01%1B%7F", "%C2%85", "%20", "%2E%2E", strings.Repeat("x", 4000), strings.Repeat("%E8%A8%AA", 1000),
	"%27%3B%20DROP%20TABLE%20tickets%3B--", "%25", "%5C%22",
}

// hostileBodies are request bodies on every route that takes one.
var hostileBodies = []string{
	`null`, `[]`, `"x"`, `1e999`, `{`, `{"name":"a\u0000b"}`, `{"name":"\ud800"}`, "{\"name\":\"\xff\xfe\"}",
	`{"NAME":"x","name":"y"}`, `{"name":"x","name":"y"}`, `{"name":"\u202e\u2066x"}`, `{"name":"` + strings.Repeat("\U0010FFFF", 3000) + `"}`,
	`{"id":{"$gt":""}}`, `{"email":"\u0000@x.se"}`, `{"availability":"\u0000"}`, `{"status":"\u0000"}`,
	`{"external_id":"\u0000","text":"x"}`, `{"external_id":"x","thread_id":"\u0000","text":"x"}`,
	`{"type":"chat","name":"\u0000"}`, `{"when":"\u0000"}`, `{"ticket":{"subject":"\u0000"}}`,
}

// TestHostileInputOnEveryRouteIsNever5xx sends NUL, invalid UTF-8, huge,
// bidi and every-plane values as path ids, query values, cursors and bodies
// to every route of the API: no answer is a 5xx, and every error is problem+json.
func TestHostileInputOnEveryRouteIsNever5xx(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Hostile", "enterprise")
	send := func(method, path, ctype, body string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, s.HTTP.URL+path, rd)
		require.NoError(t, err, path)
		req.Header.Set("Authorization", "Bearer "+token)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err, path)
		var b []byte
		if resp.Header.Get("Content-Type") != "text/event-stream" { // a stream stays open: its status is the answer
			b, _ = io.ReadAll(resp.Body)
		}
		resp.Body.Close()
		require.Less(t, resp.StatusCode, 500, "%s %s %q answered %d: %s", method, path, truncate(body), resp.StatusCode, b)
		if resp.StatusCode >= 400 {
			require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), "%s %s: %s", method, path, b)
		}
	}
	n := 0
	for _, r := range s.API.Routes() {
		for _, seg := range hostileSegments {
			path := r.Path
			if strings.Contains(path, ":id") {
				path = strings.ReplaceAll(path, ":id", seg)
			}
			body := ""
			if r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut {
				body = `{"name":"n"}`
			}
			send(r.Method, path+"?"+strings.Join([]string{
				"cursor=" + seg, "limit=" + seg, "status=" + seg, "assignee_id=" + seg, "channel_id=" + seg,
				"contact_id=" + seg, "routing_state=" + seg, "email=" + seg, "hub.challenge=" + seg, seg + "=" + seg,
			}, "&"), "application/json", body)
			n++
		}
		if r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut {
			path := strings.ReplaceAll(r.Path, ":id", "x")
			for _, body := range hostileBodies {
				send(r.Method, path, "application/json", body)
				n++
			}
		}
	}
	for _, cursor := range []string{"garbage", "AA", "_w", url.QueryEscape("AP8"), strings.Repeat("QUFB", 2000)} {
		for _, list := range []string{"/v1/tickets", "/v1/users", "/v1/teams", "/v1/contacts", "/v1/channels", "/v1/rules"} {
			send(http.MethodGet, list+"?cursor="+cursor, "", "")
			n++
		}
	}
	t.Logf("%d hostile requests, none answered 5xx", n)
}

// TestSignedWebhookWithNULIsNot5xx: a correctly signed Messenger delivery
// whose fields hold NUL characters reaches the store; the answer is not a 5xx.
func TestSignedWebhookWithNULIsNot5xx(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "messenger", "name": "Page",
		"config": map[string]any{"page_id": "111", "page_access_token": "tok", "app_secret": "app-secret", "verify_token": "v"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	for i, field := range []string{`"sender":{"id":"psid\u0000"}`, `"sender":{"id":"psid"},"message":{"mid":"m\u0000","text":"x"}`,
		`"sender":{"id":"psid"},"message":{"mid":"m2","text":"a\u0000b"}`} {
		body := fmt.Sprintf(`{"object":"page","entry":[{"id":"111","time":1,"messaging":[{%s,"recipient":{"id":"111"},"timestamp":1%s}]}]}`,
			field, map[bool]string{true: `,"message":{"mid":"m-` + fmt.Sprint(i) + `","text":"x"}`}[!strings.Contains(field, "message")])
		resp := postWebhook(t, s, "/webhooks/messenger", body, sign(body, "app-secret"))
		require.Less(t, resp.Status, 500, "%s: %d %s", body, resp.Status, resp.Body)
	}
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
