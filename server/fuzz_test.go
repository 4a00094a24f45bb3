package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
)

// FuzzCreateChannel feeds arbitrary bodies to POST /v1/channels: whatever
// arrives, the answer is never a 5xx.
func FuzzCreateChannel(f *testing.F) {
	for _, seed := range []string{
		`{"type":"chat","name":"Chat","config":{"accent_color":"#112233"}}`,
		`{"type":"messenger","name":"FB","config":{"page_id":"1","page_access_token":"t","app_secret":"s","gdpr":{"enabled":true,"consent":"explicit","text":"ok"}}}`,
		`{"type":"email","name":"Mail","config":{"address":"a@b.c","provider":"office365","smtp":{"host":"smtp","port":587}}}`,
		`{"type":"form","name":"F","config":{"form_id":"f","fields":[{"name":"a","type":"text"},{"name":"a"}]}}`,
		`{"type":"whatsapp","name":"W","config":{"phone_number_id":"12","access_token":"t","app_secret":"s"}}`,
		`{"type":"calling","name":"C","config":{"phone_number":"+46701234567"}}`,
		`{"type":"custom","name":"X","config":{"app_name":"A","outbound_url":"ftp://x"}}`,
		`{"type":"chat","name":"C","routing":{"assign_to":"users_and_teams","users":["u"],"timeout_seconds":1e99}}`,
		`{"type":"chat","name":"C","ticket_defaults":{"properties":{"a":[1,{"b":null}]}}}`,
		`{"type":"chat","config":null,"routing":null}`, `{"type":"chat","name":"\u0000"}`, `[]`, `null`, `{`, ``, `"x"`, `{"type":1}`,
	} {
		f.Add([]byte(seed))
	}
	s := testenv.NewStack(f)
	_, token := s.Account("Fuzz", "enterprise")
	f.Fuzz(func(t *testing.T, body []byte) {
		r := testenv.Do(t, s.HTTP.URL, http.MethodPost, "/v1/channels", token, body)
		if r.Status >= 500 {
			t.Fatalf("POST /v1/channels %q answered %d: %s", body, r.Status, r.Body)
		}
	})
}

// FuzzInboundMessage feeds arbitrary bodies to POST /v1/channels/{id}/messages: never a 5xx.
func FuzzInboundMessage(f *testing.F) {
	for _, seed := range []string{
		`{"external_id":"1","thread_id":"t","from":{"email":"a@b.se","name":"A","external_user_id":"u"},"subject":"s","text":"hi","sent_at":"2026-01-02T03:04:05Z"}`,
		`{"external_id":"2","html":"<p>x</p>","sent_at":"not a time"}`, `{"external_id":"","text":""}`, `{"from":"x"}`, `{}`, `[`, ``,
	} {
		f.Add([]byte(seed))
	}
	s := testenv.NewStack(f)
	_, token := s.Account("Fuzz", "starter")
	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "chat", "name": "Chat"})
	if r.Status != http.StatusCreated {
		f.Fatalf("create channel: %d %s", r.Status, r.Body)
	}
	ch := r.Map(f)["id"].(string)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := testenv.Do(t, s.HTTP.URL, http.MethodPost, "/v1/channels/"+ch+"/messages", token, body)
		if r.Status >= 500 {
			t.Fatalf("POST messages %q answered %d: %s", body, r.Status, r.Body)
		}
	})
}

// FuzzPathAndQuery puts arbitrary bytes into the path id of every route
// with one and into the query (names and values, cursors included) of every
// route: never a 5xx, and every error is problem+json.
func FuzzPathAndQuery(f *testing.F) {
	for _, seed := range [][3]string{
		{"usr_0193", "limit", "10"}, {"\x00", "assignee_id", "\x00"}, {"\xff\xfe", "cursor", "garbage"}, {"", "cursor", "AP8"},
		{"\u202e\u2066x", "status", " "}, {"\U0010FFFF", "\x00", "\xc3\x28"}, {"../..", "routing_state", "\t"}, {"%", "email", "%00"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	s := testenv.NewStack(f)
	_, token := s.Account("Fuzz", "enterprise")
	var targets []server.Route
	for _, r := range s.API.Routes() {
		if r.Method == http.MethodGet || r.Method == http.MethodDelete || r.Method == http.MethodPatch {
			targets = append(targets, r)
		}
	}
	f.Fuzz(func(t *testing.T, id, key, value string) {
		q := url.Values{key: {value}, "cursor": {value}}.Encode()
		for _, r := range targets {
			path := strings.ReplaceAll(r.Path, ":id", url.PathEscape(id))
			resp := testenv.Do(t, s.HTTP.URL, r.Method, path+"?"+q, token, nil)
			if resp.Status >= 500 {
				t.Fatalf("%s %s?%s answered %d: %s", r.Method, path, q, resp.Status, resp.Body)
			}
			if resp.Status >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s %s?%s answered %d as %s", r.Method, path, q, resp.Status, resp.Header.Get("Content-Type"))
			}
		}
	})
}
