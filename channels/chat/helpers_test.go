package chat_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// chatEnv is a running routedesk with one account and one chat channel.
type chatEnv struct {
	t     *testing.T
	s     *testenv.Stack
	admin string
	ch    string
}

func newChatEnv(t *testing.T, config map[string]any) chatEnv {
	s := testenv.NewStack(t)
	_, admin := s.Account("Acme", "starter")
	return chatEnv{t: t, s: s, admin: admin, ch: addChat(t, s, admin, config)}
}

func addChat(t *testing.T, s *testenv.Stack, admin string, config map[string]any) string {
	r := s.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Website chat", "config": config})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	return r.Map(t)["id"].(string)
}

// call sends a visitor API request with an optional bearer token, body and extra headers (name, value pairs).
func (e chatEnv) call(method, path, token string, body any, headers ...string) testenv.Response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		enc, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, e.s.HTTP.URL+path, rd)
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: out}
}

// session opens a visitor session on channel ch and returns its token and visitor id.
func (e chatEnv) session(ch string, body any) (token, visitorID string) {
	e.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	r := e.call(http.MethodPost, "/chat/v1/"+ch+"/sessions", "", body)
	require.Equal(e.t, http.StatusCreated, r.Status, string(r.Body))
	m := r.Map(e.t)
	return m["visitor_token"].(string), m["visitor_id"].(string)
}

// send posts a visitor message and requires the status.
func (e chatEnv) send(ch, token, clientID, text string, status int) map[string]any {
	e.t.Helper()
	r := e.call(http.MethodPost, "/chat/v1/"+ch+"/messages", token, map[string]any{"client_id": clientID, "text": text})
	require.Equal(e.t, status, r.Status, string(r.Body))
	return r.Map(e.t)
}

// messages returns the visitor's conversation as the API lists it.
func (e chatEnv) messages(ch, token, after string) []map[string]any {
	e.t.Helper()
	r := e.call(http.MethodGet, "/chat/v1/"+ch+"/messages?after="+after, token, nil)
	require.Equal(e.t, http.StatusOK, r.Status, string(r.Body))
	var out struct {
		Items []map[string]any `json:"items"`
	}
	r.JSON(e.t, &out)
	return out.Items
}

// ticketOf waits for the ticket of the conversation holding message id and returns it.
func (e chatEnv) ticketOf(messageID string) map[string]any {
	e.t.Helper()
	var conv string
	require.NoError(e.t, e.s.Store.DB().Get(&conv, `SELECT conversation_id FROM messages WHERE id = $1`, messageID))
	var ticket map[string]any
	testenv.Eventually(e.t, 20*time.Second, "the chat's ticket", func() bool {
		r := e.s.Do(http.MethodGet, "/v1/tickets?channel_id="+e.ch+"&limit=100", e.admin, nil)
		require.Equal(e.t, http.StatusOK, r.Status, string(r.Body))
		for _, it := range r.Map(e.t)["items"].([]any) {
			tk := it.(map[string]any)
			if tk["conversation_id"] == conv && tk["routing_state"] != "routing" {
				ticket = tk
				return true
			}
		}
		return false
	})
	return ticket
}

// reply posts an agent's reply on a ticket.
func (e chatEnv) reply(ticketID, text string) {
	e.t.Helper()
	r := e.s.Do(http.MethodPost, "/v1/tickets/"+ticketID+"/replies", e.admin, map[string]any{"text": text})
	require.Equal(e.t, http.StatusCreated, r.Status, string(r.Body))
}
