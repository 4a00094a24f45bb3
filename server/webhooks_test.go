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

	// A malformed payload is a 400 unsigned, and acknowledged (200, recorded, not stored) when signed.
	require.Equal(t, http.StatusBadRequest, postWebhook(t, s, "/webhooks/messenger", `{"object":"user"}`, "").Status)
	require.Equal(t, http.StatusOK, postWebhook(t, s, "/webhooks/messenger", `{"object":"user"}`, sign(`{"object":"user"}`, "app-secret")).Status)
	require.Equal(t, 3, countMessages(t, s))
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

	// A later status webhook saying WhatsApp could not deliver a reply marks it failed.
	status := `{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
	  "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},
	  "statuses":[{"id":"wamid.OUT","status":"failed","timestamp":"1700000000","recipient_id":"46701234567","errors":[{"code":131047,"title":"Re-engagement message"}]}]}}]}]}`
	sr := postWebhook(t, s, "/webhooks/whatsapp", status, sign(status, "wa-secret"))
	require.Equal(t, http.StatusOK, sr.Status, string(sr.Body))
	require.EqualValues(t, 1, sr.Map(t)["received"])
	var failed int
	require.NoError(t, s.Store.DB().Get(&failed, `SELECT count(*) FROM messages WHERE status = 'failed' AND provider_message_id = 'wamid.OUT'`))
	require.Equal(t, 2, failed, "both replies the fake acknowledged as wamid.OUT")

	// Meta's 131047 (more than 24 h since the customer wrote) is a 409 and the reply is marked failed.
	s.Graph.FailNext(http.StatusBadRequest, `{"error":{"message":"Re-engagement message","code":131047}}`)
	r = s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"text": "Hello again"})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
}

func graphTexts(s *testenv.Stack) []string {
	var out []string
	for _, r := range s.Graph.Requests() {
		if m, ok := r.Body["message"].(map[string]any); ok {
			out = append(out, fmt.Sprint(m["text"]))
		}
	}
	return out
}

func TestMessengerConsentGreetingAndInstantReply(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	explicit := map[string]any{"page_id": "111", "page_access_token": "tok-111", "app_secret": "app-secret",
		"greeting": "Hi! How can we help?", "instant_reply": "Thanks, an agent will answer soon.",
		"gdpr": map[string]any{"enabled": true, "consent": "explicit", "text": "We store your messages to answer you."}}
	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "messenger", "name": "Explicit", "config": explicit})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	explicitID := r.Map(t)["id"].(string)

	// The greeting is set on the page when the channel is connected.
	greeting := s.Graph.Requests()[0]
	require.Equal(t, "/v21.0/me/messenger_profile", greeting.Path)
	require.Equal(t, []any{map[string]any{"locale": "default", "text": "Hi! How can we help?"}}, greeting.Body["greeting"])

	// Explicit consent: the first message is not stored; the visitor is asked.
	first := messengerPayload(map[string][]string{"111": {"m.1"}})
	r = postWebhook(t, s, "/webhooks/messenger", first, sign(first, "app-secret"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Zero(t, countMessages(t, s), "nothing is stored before consent")
	prompt := s.Graph.Requests()[1]
	require.Equal(t, "We store your messages to answer you.", prompt.Body["message"].(map[string]any)["text"])
	require.Equal(t, "GDPR_CONSENT_ACCEPT", prompt.Body["message"].(map[string]any)["quick_replies"].([]any)[0].(map[string]any)["payload"])

	// The visitor taps "I agree": consent is recorded on the contact; later messages are stored and routed.
	accept := fmt.Sprintf(`{"object":"page","entry":[{"id":"111","time":1,"messaging":[{"sender":{"id":"psid-111"},"recipient":{"id":"111"},"timestamp":%d,"message":{"mid":"m.accept","text":"I agree","quick_reply":{"payload":"GDPR_CONSENT_ACCEPT"}}}]}]}`, time.Now().UnixMilli())
	r = postWebhook(t, s, "/webhooks/messenger", accept, sign(accept, "app-secret"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	contacts := s.Do(http.MethodGet, "/v1/contacts", token, nil).Map(t)["items"].([]any)
	require.Len(t, contacts, 1)
	consent := contacts[0].(map[string]any)["consent"].(map[string]any)
	require.Equal(t, true, consent["given"])
	require.Equal(t, "explicit", consent["mode"])
	require.Equal(t, "We store your messages to answer you.", consent["text"])
	require.NotEmpty(t, consent["at"])
	// The consent is on the contact's timeline, newest first.
	tl := s.Do(http.MethodGet, "/v1/contacts/"+contacts[0].(map[string]any)["id"].(string)+"/timeline", token, nil)
	require.Equal(t, http.StatusOK, tl.Status, string(tl.Body))
	items := tl.Map(t)["items"].([]any)
	require.NotEmpty(t, items)
	require.Equal(t, "consent", items[0].(map[string]any)["type"], string(tl.Body))
	require.Equal(t, explicitID, items[0].(map[string]any)["channel_id"])
	require.Equal(t, "explicit", items[0].(map[string]any)["detail"].(map[string]any)["mode"])

	second := messengerPayload(map[string][]string{"111": {"m.2"}})
	r = postWebhook(t, s, "/webhooks/messenger", second, sign(second, "app-secret"))
	require.Equal(t, http.StatusOK, r.Status)
	require.EqualValues(t, 1, r.Map(t)["received"])
	testenv.Eventually(t, 15*time.Second, "the instant reply", func() bool {
		texts := graphTexts(s)
		return len(texts) > 0 && texts[len(texts)-1] == "Thanks, an agent will answer soon."
	})
	ticket := s.Do(http.MethodGet, "/v1/tickets", token, nil).Map(t)["items"].([]any)[0].(map[string]any)
	var msgs []any
	// The Graph fake sees the send before the activity records it as sent.
	testenv.Eventually(t, 10*time.Second, "the instant reply recorded as sent", func() bool {
		msgs = s.Do(http.MethodGet, "/v1/tickets/"+ticket["id"].(string)+"/messages", token, nil).Map(t)["items"].([]any)
		return len(msgs) == 2 && msgs[1].(map[string]any)["status"] == "sent"
	})
	require.Len(t, msgs, 2, "the customer's message and the instant reply")
	require.Equal(t, "outbound", msgs[1].(map[string]any)["direction"])
	testenv.RecordHistory(t, s.Temporal, ticket["workflow_id"].(string), "conversation_messenger_welcome")

	// Implicit consent: the notice is shown, the conversation proceeds, consent is recorded.
	implicit := map[string]any{"page_id": "222", "page_access_token": "tok-222", "app_secret": "app-secret",
		"gdpr": map[string]any{"enabled": true, "consent": "implicit", "text": "By writing you agree to our privacy notice."}}
	r = s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "messenger", "name": "Implicit", "config": implicit})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	msg := messengerPayload(map[string][]string{"222": {"m.3"}})
	r = postWebhook(t, s, "/webhooks/messenger", msg, sign(msg, "app-secret"))
	require.EqualValues(t, 1, r.Map(t)["received"], "implicit consent stores the first message")
	testenv.Eventually(t, 15*time.Second, "the consent notice", func() bool {
		texts := graphTexts(s)
		return len(texts) > 0 && texts[len(texts)-1] == "By writing you agree to our privacy notice."
	})
	testenv.Eventually(t, 10*time.Second, "implicit consent on the contact", func() bool {
		for _, it := range s.Do(http.MethodGet, "/v1/contacts", token, nil).Map(t)["items"].([]any) {
			if c, ok := it.(map[string]any)["consent"].(map[string]any); ok && c["mode"] == "implicit" {
				return c["given"] == true
			}
		}
		return false
	})
}
