package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

func sign(body, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func postWebhook(t *testing.T, s *testenv.Stack, path, body, signature string) testenv.Response {
	req, err := http.NewRequest(http.MethodPost, s.HTTP.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func messengerPayload(pages map[string][]string) string {
	var entries []string
	for page, mids := range pages {
		var msgs []string
		for i, mid := range mids {
			msgs = append(msgs, fmt.Sprintf(`{"sender":{"id":"psid-%s"},"recipient":{"id":%q},"timestamp":%d,"message":{"mid":%q,"text":"hello %d"}}`,
				page, page, time.Now().UnixMilli(), mid, i))
		}
		entries = append(entries, fmt.Sprintf(`{"id":%q,"time":%d,"messaging":[%s]}`, page, time.Now().UnixMilli(), strings.Join(msgs, ",")))
	}
	return `{"object":"page","entry":[` + strings.Join(entries, ",") + `]}`
}

func countMessages(t *testing.T, s *testenv.Stack) int {
	var n int
	require.NoError(t, s.Store.DB().Get(&n, `SELECT count(*) FROM messages`))
	return n
}

func TestMessengerWebhook(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	cfg := func(page string) map[string]any {
		return map[string]any{"page_id": page, "page_access_token": "tok-" + page, "app_secret": "app-secret", "verify_token": "verify-" + page}
	}
	for _, page := range []string{"111", "222"} {
		r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "messenger", "name": "Page " + page, "config": cfg(page)})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	}

	// Handshake.
	ok := testenv.Do(t, s.HTTP.URL, http.MethodGet, "/webhooks/messenger?hub.mode=subscribe&hub.verify_token=verify-222&hub.challenge=c123", "", nil)
	require.Equal(t, http.StatusOK, ok.Status)
	require.Equal(t, "c123", string(ok.Body))
	bad := testenv.Do(t, s.HTTP.URL, http.MethodGet, "/webhooks/messenger?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=c123", "", nil)
	require.Equal(t, http.StatusForbidden, bad.Status)

	// Signatures: missing, bad, wrong secret → 401 and nothing stored.
	body := messengerPayload(map[string][]string{"111": {"m.1", "m.2"}, "222": {"m.3"}})
	require.Equal(t, http.StatusUnauthorized, postWebhook(t, s, "/webhooks/messenger", body, "").Status)
	require.Equal(t, http.StatusUnauthorized, postWebhook(t, s, "/webhooks/messenger", body, "sha256=00").Status)
	require.Equal(t, http.StatusUnauthorized, postWebhook(t, s, "/webhooks/messenger", body, sign(body, "other-secret")).Status)
	require.Equal(t, http.StatusUnauthorized, postWebhook(t, s, "/webhooks/messenger", body+" ", sign(body, "app-secret")).Status, "the signature covers the exact bytes")
	require.Zero(t, countMessages(t, s))

	// A signed batch of two pages and three messages: all stored, each page's thread its own ticket.
	r := postWebhook(t, s, "/webhooks/messenger", body, sign(body, "app-secret"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.EqualValues(t, 3, r.Map(t)["received"])
	require.Equal(t, 3, countMessages(t, s))
	testenv.Eventually(t, 15*time.Second, "two tickets", func() bool {
		return len(s.Do(http.MethodGet, "/v1/tickets", token, nil).Map(t)["items"].([]any)) == 2
	})

	// Meta redelivers: the same mids are not stored again.
	r = postWebhook(t, s, "/webhooks/messenger", body, sign(body, "app-secret"))
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, 3, countMessages(t, s))

	// An unknown page is acknowledged and not stored.
	unknown := messengerPayload(map[string][]string{"999": {"m.9"}})
	r = postWebhook(t, s, "/webhooks/messenger", unknown, sign(unknown, "app-secret"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, 3, countMessages(t, s))

	// A malformed payload is a 400, not a 500.
	require.Equal(t, http.StatusBadRequest, postWebhook(t, s, "/webhooks/messenger", `{"object":"user"}`, sign(`{"object":"user"}`, "app-secret")).Status)
}

func TestWhatsAppWebhook(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "whatsapp", "name": "WA",
		"config": map[string]any{"phone_number_id": "106540352242922", "access_token": "wa-token", "app_secret": "wa-secret", "verify_token": "wa-verify"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	hs := testenv.Do(t, s.HTTP.URL, http.MethodGet, "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wa-verify&hub.challenge=42", "", nil)
	require.Equal(t, "42", string(hs.Body))

	body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
	  "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},
	  "contacts":[{"profile":{"name":"Kim"},"wa_id":"46701234567"}],
	  "messages":[{"from":"46701234567","id":"wamid.ABC","timestamp":"%d","type":"text","text":{"body":"Where is my order?"}}]}}]}]}`, time.Now().Unix())
	require.Equal(t, http.StatusUnauthorized, postWebhook(t, s, "/webhooks/whatsapp", body, sign(body, "wrong")).Status)
	r = postWebhook(t, s, "/webhooks/whatsapp", body, sign(body, "wa-secret"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	r = postWebhook(t, s, "/webhooks/whatsapp", body, sign(body, "wa-secret"))
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, 1, countMessages(t, s), "the same wamid twice is one message")
	var ticket map[string]any
	testenv.Eventually(t, 15*time.Second, "the ticket", func() bool {
		items := s.Do(http.MethodGet, "/v1/tickets", token, nil).Map(t)["items"].([]any)
		if len(items) == 1 {
			ticket = items[0].(map[string]any)
		}
		return ticket != nil && ticket["reply_window"].(map[string]any)["state"] == "open"
	})
	require.Equal(t, "Where is my order?", ticket["subject"])
	require.Equal(t, "whatsapp", ticket["channel_type"])

	// Replies go out through the Graph API: free-form text inside the window, or a template.
	id := ticket["id"].(string)
	r = s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"text": "It ships today."})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	reqs := s.Graph.Requests()
	last := reqs[len(reqs)-1]
	require.Equal(t, "/v21.0/106540352242922/messages", last.Path)
	require.Equal(t, "46701234567", last.Body["to"])
	require.Equal(t, map[string]any{"body": "It ships today."}, last.Body["text"])
	r = s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"template": map[string]any{"name": "order_update", "language": "en_US"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	reqs = s.Graph.Requests()
	require.Equal(t, "template", reqs[len(reqs)-1].Body["type"])
	d := s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"template": map[string]any{"name": "x"}})
	require.Equal(t, http.StatusUnprocessableEntity, d.Status, "a template needs its language")

	// Meta's 131047 (more than 24 h since the customer wrote) is a 409 and the reply is marked failed.
	s.Graph.FailNext(http.StatusBadRequest, `{"error":{"message":"Re-engagement message","code":131047}}`)
	r = s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"text": "Hello again"})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
}
