package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/workflows"
)

// hostileIDs are ids from every Unicode plane, with C0/C1 controls, bidi
// marks, emoji, '%' and 1,000-character ids; none holds NUL.
func hostileIDs() []string {
	var planes strings.Builder
	for p := range 17 {
		planes.WriteRune(rune(p<<16 | 0x0100))
	}
	return []string{
		"visitor-café",
		"訪客-7",
		"planes-" + planes.String(),
		"c0-\x01\t\n\x1b\x1f\x7f",
		"c1-\u0080\u0085\u009f",
		"bidi-\u202Eevil\u202C\u200E\u200F\u2066\u2069",
		"emoji-😀👩‍💻🇸🇪",
		"100%-sure %41",
		"sha256-0000",
		strings.Repeat("😀", 1000),
		strings.Repeat("é", 999) + "x",
	}
}

func jsonString(t *testing.T, v string) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func countTickets(t *testing.T, s *testenv.Stack) int {
	var n int
	require.NoError(t, s.Store.DB().Get(&n, `SELECT count(*) FROM tickets`))
	return n
}

func TestUnicodeIDsBecomeTicketsOnEveryInboundRoute(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "professional")
	ch := chatChannel(t, s, token)
	ids := hostileIDs()
	want := 0

	// Generic messages endpoint: thread ids, sender ids (max 255 characters) and a Unicode email.
	post := func(body map[string]any) {
		t.Helper()
		r := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, body)
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
		require.True(t, workflows.ValidWorkflowID(r.Map(t)["workflow_id"].(string)), string(r.Body))
		want++
	}
	for i, id := range ids {
		post(map[string]any{"external_id": fmt.Sprintf("thread-%d-%s", i, string([]rune(id)[:min(200, len([]rune(id)))])), "thread_id": id, "text": "hello"})
	}
	for i, id := range ids[:7] {
		post(map[string]any{"external_id": fmt.Sprintf("user-%d", i), "from": map[string]any{"external_user_id": id}, "text": "hello"})
	}
	post(map[string]any{"external_id": "email-1", "from": map[string]any{"email": "jürgen@müller.de"}, "text": "hello"})
	// A second message on a Unicode thread joins its conversation.
	r := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{"external_id": "again", "thread_id": ids[0], "text": "again"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))

	// Messenger: Unicode PSIDs in a signed delivery.
	r = s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "messenger", "name": "Page", "config": map[string]any{
		"page_id": "111", "page_access_token": "tok", "app_secret": "app-secret", "verify_token": "verify"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	var msgs []string
	for i, id := range ids {
		msgs = append(msgs, fmt.Sprintf(`{"sender":{"id":%s},"recipient":{"id":"111"},"timestamp":%d,"message":{"mid":"mid.%d","text":"hi"}}`,
			jsonString(t, id), time.Now().UnixMilli(), i))
	}
	body := fmt.Sprintf(`{"object":"page","entry":[{"id":"111","time":%d,"messaging":[%s]}]}`, time.Now().UnixMilli(), strings.Join(msgs, ","))
	r = postWebhook(t, s, "/webhooks/messenger", body, sign(body, "app-secret"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.EqualValues(t, len(ids), r.Map(t)["received"])
	want += len(ids)

	// WhatsApp: Unicode senders (from) in a signed delivery.
	r = s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "whatsapp", "name": "WA", "config": map[string]any{
		"phone_number_id": "106540352242922", "access_token": "wa-token", "app_secret": "wa-secret", "verify_token": "wa-verify"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	msgs = msgs[:0]
	for i, id := range ids {
		msgs = append(msgs, fmt.Sprintf(`{"from":%s,"id":"wamid.%d","timestamp":"%d","type":"text","text":{"body":"hi"}}`, jsonString(t, id), i, time.Now().Unix()))
	}
	body = `{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
	  "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},
	  "messages":[` + strings.Join(msgs, ",") + `]}}]}]}`
	r = postWebhook(t, s, "/webhooks/whatsapp", body, sign(body, "wa-secret"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.EqualValues(t, len(ids), r.Map(t)["received"])
	want += len(ids)

	testenv.Eventually(t, 45*time.Second, fmt.Sprintf("%d tickets", want), func() bool { return countTickets(t, s) == want })
	var undelivered int
	require.NoError(t, s.Store.DB().Get(&undelivered, `SELECT count(*) FROM messages WHERE delivered_at IS NULL`))
	require.Zero(t, undelivered)
}

// TestUnstorableInboundFieldsAre422: NUL and invalid UTF-8 in inbound ids are a 422 naming the field, and
// nothing is stored; a Meta delivery signed by a channel's secret is acknowledged and recorded instead.
func TestUnstorableInboundFieldsAre422(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "professional")
	ch := chatChannel(t, s, token)
	field := func(r testenv.Response) string {
		t.Helper()
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
		require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
		return r.Map(t)["errors"].([]any)[0].(map[string]any)["field"].(string)
	}
	path := "/v1/channels/" + ch + "/messages"
	require.Equal(t, "thread_id", field(s.Do(http.MethodPost, path, token, `{"external_id":"a","thread_id":"x\u0000y","text":"hi"}`)))
	require.Equal(t, "from.external_user_id", field(s.Do(http.MethodPost, path, token, `{"external_id":"a","from":{"external_user_id":"\u0000"},"text":"hi"}`)))
	require.Equal(t, "from.external_user_id", field(s.Do(http.MethodPost, path, token, []byte("{\"external_id\":\"a\",\"from\":{\"external_user_id\":\"caf\xe9\"},\"text\":\"hi\"}"))))
	require.Equal(t, "external_id", field(s.Do(http.MethodPost, path, token, []byte("{\"external_id\":\"\xff\xfe\",\"text\":\"hi\"}"))))

	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "messenger", "name": "Page", "config": map[string]any{
		"page_id": "111", "page_access_token": "tok", "app_secret": "app-secret", "verify_token": "verify"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	body := fmt.Sprintf(`{"object":"page","entry":[{"id":"111","time":1,"messaging":[{"sender":{"id":"p\u0000"},"recipient":{"id":"111"},"timestamp":%d,"message":{"mid":"m1","text":"hi"}}]}]}`, time.Now().UnixMilli())
	// Signed by the page's app secret, the delivery is acknowledged (Meta would redeliver anything else) and
	// recorded as ignored, naming the field; unsigned, it is a 422 naming it.
	signed := postWebhook(t, s, "/webhooks/messenger", body, sign(body, "app-secret"))
	require.Equal(t, http.StatusOK, signed.Status, string(signed.Body))
	require.Contains(t, signed.Map(t)["rejected"], "entry[0].messaging[0].sender.id")
	require.Equal(t, "entry[0].messaging[0].sender.id", field(postWebhook(t, s, "/webhooks/messenger", body, sign(body, "another-secret"))))

	body = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"WABA\",\"changes\":[{\"field\":\"messages\",\"value\":{\"metadata\":{\"phone_number_id\":\"1065\"},\"messages\":[{\"from\":\"46\xc3\",\"id\":\"w1\",\"type\":\"text\",\"text\":{\"body\":\"hi\"}}]}}]}]}"
	require.Equal(t, "entry[0].changes[0].value.messages[0].from", field(postWebhook(t, s, "/webhooks/whatsapp", body, sign(body, "x"))))
	require.Zero(t, countMessages(t, s))
}
