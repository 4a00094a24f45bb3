package server_test

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels/custom"
	"github.com/routedesk/routedesk/internal/testenv"
)

func createChannel(t *testing.T, s *testenv.Stack, token string, body map[string]any) string {
	t.Helper()
	r := s.Do(http.MethodPost, "/v1/channels", token, body)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	return r.Map(t)["id"].(string)
}

func message(id string) map[string]any {
	return map[string]any{"external_id": id, "thread_id": "th-" + id, "from": map[string]any{"external_user_id": "u1"}, "text": "hello " + id}
}

func TestChannelKeysAreScopedHashedAndRevocable(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	chat := createChannel(t, s, token, map[string]any{"type": "chat", "name": "Chat"})
	other := createChannel(t, s, token, map[string]any{"type": "chat", "name": "Other chat"})

	created := s.Do(http.MethodPost, "/v1/channels/"+chat+"/keys", token, map[string]any{"name": "website"})
	require.Equal(t, http.StatusCreated, created.Status, string(created.Body))
	m := created.Map(t)
	key, keyID := m["key"].(string), m["id"].(string)
	require.True(t, strings.HasPrefix(key, "rdc_"), key)
	require.NotEmpty(t, m["created_at"])

	// Stored hashed: the key itself is nowhere in the table, its SHA-256 is.
	var plain, hashed int
	require.NoError(t, s.Store.DB().Get(&plain, `SELECT count(*) FROM channel_keys WHERE position($1::bytea in key_hash) > 0 OR name = $2`, []byte(key), key))
	sum := sha256.Sum256([]byte(key))
	require.NoError(t, s.Store.DB().Get(&hashed, `SELECT count(*) FROM channel_keys WHERE key_hash = $1`, sum[:]))
	require.Equal(t, 0, plain)
	require.Equal(t, 1, hashed)

	// Listed without the secret.
	listed := s.Do(http.MethodGet, "/v1/channels/"+chat+"/keys", token, nil)
	require.Equal(t, http.StatusOK, listed.Status)
	require.Contains(t, string(listed.Body), keyID)
	require.NotContains(t, string(listed.Body), key)
	require.NotContains(t, string(listed.Body), `"key"`)

	// Accepted on its channel's inbound route only.
	ok := s.Do(http.MethodPost, "/v1/channels/"+chat+"/messages", key, message("k1"))
	require.Equal(t, http.StatusAccepted, ok.Status, string(ok.Body))
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodPost, "/v1/channels/"+other+"/messages", key, message("k2")).Status)
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/v1/tickets"}, {http.MethodGet, "/v1/channels/" + chat}, {http.MethodGet, "/v1/channels/" + chat + "/keys"},
		{http.MethodPost, "/v1/channels/" + chat + "/keys"}, {http.MethodGet, "/v1/contacts"}, {http.MethodGet, "/v1/me"},
	} {
		require.Equal(t, http.StatusUnauthorized, s.Do(r.method, r.path, key, nil).Status, r.method+" "+r.path)
	}

	// An agent token may not post inbound messages; another account's admin does not see the channel.
	user := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "agent@example.com", "name": "Agent"})
	require.Equal(t, http.StatusCreated, user.Status, string(user.Body))
	agent := s.Do(http.MethodPost, "/v1/users/"+user.Map(t)["id"].(string)+"/tokens", token, nil).Map(t)["token"].(string)
	require.Equal(t, http.StatusForbidden, s.Do(http.MethodPost, "/v1/channels/"+chat+"/messages", agent, message("k3")).Status)
	_, tokenB := s.Account("B", "starter")
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodPost, "/v1/channels/"+chat+"/messages", tokenB, message("k3")).Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodPost, "/v1/channels/"+chat+"/keys", tokenB, nil).Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodDelete, "/v1/channels/"+chat+"/keys/"+keyID, tokenB, nil).Status)

	// Revoked at once.
	require.Equal(t, http.StatusNoContent, s.Do(http.MethodDelete, "/v1/channels/"+chat+"/keys/"+keyID, token, nil).Status)
	require.Equal(t, http.StatusUnauthorized, s.Do(http.MethodPost, "/v1/channels/"+chat+"/messages", key, message("k4")).Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodDelete, "/v1/channels/"+chat+"/keys/"+keyID, token, nil).Status)
	require.NotContains(t, string(s.Do(http.MethodGet, "/v1/channels/"+chat+"/keys", token, nil).Body), keyID)
}

func postSigned(t *testing.T, s *testenv.Stack, path, body string, headers map[string]string) testenv.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.HTTP.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func TestCustomAppSignatureAndReplayWindow(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	app := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Bridge", "config": map[string]any{"app_name": "Bridge", "secret": "s3cret"}})
	bare := createChannel(t, s, token, map[string]any{"type": "custom", "name": "No secret", "config": map[string]any{"app_name": "Bare"}})
	chat := createChannel(t, s, token, map[string]any{"type": "chat", "name": "Chat"})
	path := "/v1/channels/" + app + "/messages"
	body := `{"external_id":"sig-1","from":{"external_user_id":"tg-42"},"text":"hi from telegram"}`
	now := time.Now().Unix()
	signed := func(secret string, ts int64, b string) map[string]string {
		return map[string]string{custom.TimestampHeader: strconv.FormatInt(ts, 10), custom.SignatureHeader: custom.Sign(secret, ts, []byte(b))}
	}

	ok := postSigned(t, s, path, body, signed("s3cret", now, body))
	require.Equal(t, http.StatusAccepted, ok.Status, string(ok.Body))
	// Within the window a replay is the duplicate it is; nothing is stored twice.
	again := postSigned(t, s, path, body, signed("s3cret", now, body))
	require.Equal(t, http.StatusOK, again.Status, string(again.Body))
	require.Equal(t, true, again.Map(t)["duplicate"])

	for name, h := range map[string]map[string]string{
		"no credentials":         nil,
		"wrong secret":           signed("other", now, body),
		"other body":             signed("s3cret", now, `{"external_id":"x"}`),
		"old timestamp":          signed("s3cret", now-int64(custom.ReplayWindow/time.Second)-5, body),
		"future timestamp":       signed("s3cret", now+int64(custom.ReplayWindow/time.Second)+5, body),
		"signature only":         {custom.SignatureHeader: custom.Sign("s3cret", now, []byte(body))},
		"timestamp not a number": {custom.TimestampHeader: "yesterday", custom.SignatureHeader: custom.Sign("s3cret", now, []byte(body))},
	} {
		r := postSigned(t, s, path, body, h)
		require.Equal(t, http.StatusUnauthorized, r.Status, "%s: %s", name, r.Body)
		require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), name)
	}
	// A channel without a secret, or of a type that does not sign, takes no signature.
	require.Equal(t, http.StatusUnauthorized, postSigned(t, s, "/v1/channels/"+bare+"/messages", body, signed("", now, body)).Status)
	require.Equal(t, http.StatusUnauthorized, postSigned(t, s, "/v1/channels/"+chat+"/messages", body, signed("s3cret", now, body)).Status)
	// Signed receipts are the app's too: an unknown reply is 404 once signed, 401 unsigned.
	rb := `{"message_id":"msg_nope","status":"read"}`
	require.Equal(t, http.StatusNotFound, postSigned(t, s, "/v1/channels/"+app+"/receipts", rb, signed("s3cret", now, rb)).Status)
	require.Equal(t, http.StatusUnauthorized, postSigned(t, s, "/v1/channels/"+app+"/receipts", rb, signed("s3cret", now-3600, rb)).Status)
	// The signature is no credential for anything else.
	require.Equal(t, http.StatusUnauthorized, postSigned(t, s, "/v1/channels/"+app+"/keys", "{}", signed("s3cret", now, "{}")).Status)
	require.Equal(t, 1, countMessages(t, s))
}
