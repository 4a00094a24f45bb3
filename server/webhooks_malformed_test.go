package server_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// ignoredOf lists the reasons and details of a channel's ignored inbound traffic.
func ignoredOf(t *testing.T, s *testenv.Stack, token, channelID string) []map[string]any {
	t.Helper()
	r := s.Do(http.MethodGet, "/v1/channels/"+channelID+"/ignored", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var out []map[string]any
	for _, it := range r.Map(t)["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// ignoredMetric is the value of routedesk_inbound_ignored_total for typ and reason (0 when absent).
func ignoredMetric(t *testing.T, s *testenv.Stack, typ, reason string) float64 {
	t.Helper()
	body := string(s.Do(http.MethodGet, "/metrics", "", nil).Body)
	m := regexp.MustCompile(`(?m)^routedesk_inbound_ignored_total\{channel_type="` + typ + `",reason="` + reason + `"\} (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}

// Issue 31, point 2: a signed Meta delivery with a malformed body is
// acknowledged with 200 (Meta redelivers anything else for hours), recorded as
// rejected on every channel whose app secret verifies it (once per body),
// counted in /metrics, and never stored; unsigned or wrongly signed garbage is still a 4xx.
func TestSignedMalformedMetaWebhookIsAcknowledgedAndRecorded(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	_, otherToken := s.Account("B", "professional")
	create := func(token, typ string, cfg map[string]any) string {
		r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": typ, "name": typ, "config": cfg})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
		return r.Map(t)["id"].(string)
	}
	page := func(id, secret string) map[string]any {
		return map[string]any{"page_id": id, "page_access_token": "tok-" + id, "app_secret": secret, "verify_token": "verify-" + id}
	}
	page1 := create(token, "messenger", page("111", "app-secret"))
	page2 := create(token, "messenger", page("222", "app-secret"))
	otherPage := create(otherToken, "messenger", page("333", "other-secret"))
	wa := create(token, "whatsapp", map[string]any{"phone_number_id": "106540352242922", "access_token": "wa-token", "app_secret": "wa-secret", "verify_token": "wa-verify"})
	messengerBefore := ignoredMetric(t, s, "messenger", "malformed_webhook")
	whatsappBefore := ignoredMetric(t, s, "whatsapp", "malformed_webhook")

	// Unsigned or wrongly signed garbage stays a 4xx and is recorded nowhere.
	notPage := `{"object":"user"}`
	truncated := `{"object":"page","entry":[{"id":"111"`
	require.Equal(t, http.StatusBadRequest, postWebhook(t, s, "/webhooks/messenger", notPage, "").Status)
	require.Equal(t, http.StatusBadRequest, postWebhook(t, s, "/webhooks/messenger", notPage, sign(notPage, "wrong")).Status)
	require.Equal(t, http.StatusUnprocessableEntity, postWebhook(t, s, "/webhooks/messenger", truncated, "").Status)
	require.Equal(t, http.StatusUnprocessableEntity, postWebhook(t, s, "/webhooks/messenger", truncated, sign(truncated, "wrong")).Status)
	require.Equal(t, http.StatusUnprocessableEntity, postWebhook(t, s, "/webhooks/whatsapp", truncated, "sha256=00").Status)
	require.Empty(t, ignoredOf(t, s, token, page1))

	// Signed with the app secret both pages share: acknowledged, recorded on both, not on the other account's page.
	for _, body := range []string{notPage, truncated} {
		for range 2 { // Meta's redelivery of the same body is recorded once
			r := postWebhook(t, s, "/webhooks/messenger", body, sign(body, "app-secret"))
			require.Equal(t, http.StatusOK, r.Status, string(r.Body))
			require.EqualValues(t, 0, r.Map(t)["received"])
			require.NotEmpty(t, r.Map(t)["rejected"])
		}
	}
	// A body whose page ids are readable but whose events are not: recorded on the verified page only.
	badEvent := `{"object":"page","entry":[{"id":"111","time":"yesterday","messaging":[]}]}`
	r := postWebhook(t, s, "/webhooks/messenger", badEvent, sign(badEvent, "app-secret"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, http.StatusUnauthorized, postWebhook(t, s, "/webhooks/messenger", badEvent, "").Status)

	for ch, n := range map[string]int{page1: 3, page2: 2} {
		items := ignoredOf(t, s, token, ch)
		require.Len(t, items, n, "%s: %v", ch, items)
		for _, it := range items {
			require.Equal(t, "malformed_webhook", it["reason"])
			require.Equal(t, "webhook", it["source"])
			require.True(t, strings.HasPrefix(it["external_id"].(string), "sha256:"), it)
			require.Contains(t, it["detail"], "bytes")
			require.NotContains(t, it["detail"], `"object"`, "the body is not kept")
		}
	}
	require.Contains(t, ignoredOf(t, s, token, page1)[0]["detail"], "time")
	require.Empty(t, ignoredOf(t, s, otherToken, otherPage))
	require.Equal(t, messengerBefore+5, ignoredMetric(t, s, "messenger", "malformed_webhook"))

	// WhatsApp alike: the wrong object and a body that is not JSON text.
	for _, body := range []string{`{"object":"page","entry":[]}`, "{\"object\":\"whatsapp_business_account\",\"entry\":[\"\xff\"]}"} {
		require.GreaterOrEqual(t, postWebhook(t, s, "/webhooks/whatsapp", body, sign(body, "app-secret")).Status, 400)
		r := postWebhook(t, s, "/webhooks/whatsapp", body, sign(body, "wa-secret"))
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	}
	items := ignoredOf(t, s, token, wa)
	require.Len(t, items, 2)
	require.Equal(t, "malformed_webhook", items[0]["reason"])
	require.Equal(t, whatsappBefore+2, ignoredMetric(t, s, "whatsapp", "malformed_webhook"))

	require.Zero(t, countMessages(t, s), "nothing malformed is stored as a message")
}
