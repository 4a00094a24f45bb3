package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGraphChecksTokenAndSubscription: without any reply being sent, the
// periodic check asks Graph for each Meta channel's token and webhook
// subscription (claimed, so a pass checks a channel once, and not again until
// it is due): a page Meta shows unsubscribed makes the channel degraded with a
// reason, an expired WhatsApp token makes it failing at once with one admin
// email, a signed webhook delivery is recorded, and a fixed page is ok again.
func TestGraphChecksTokenAndSubscription(t *testing.T) {
	d := newHealthDesk(t, "boss@acme.test")
	ctx := context.Background()
	page := createChannel(t, d.s, d.token, map[string]any{"type": "messenger", "name": "FB", "config": map[string]any{
		"page_id": "5550001", "page_access_token": "page-token", "app_secret": "page-secret"}})
	wa := createChannel(t, d.s, d.token, map[string]any{"type": "whatsapp", "name": "WA", "config": map[string]any{
		"phone_number_id": "106540352242922", "access_token": "wa-token", "app_secret": "wa-secret", "business_account_id": "8880001"}})
	due := func(ch string) {
		_, err := d.s.Store.DB().Exec(`UPDATE graph_checks SET next_check_at = now() WHERE channel_id = $1`, ch)
		require.NoError(t, err)
	}
	calls := func(auth string) []string {
		var out []string
		for _, r := range d.s.Graph.Requests() {
			if r.Method == http.MethodGet && r.Auth == "Bearer "+auth {
				out = append(out, r.Path+"?"+r.Query)
			}
		}
		return out
	}

	require.Equal(t, 2, d.s.API.CheckGraphDue(ctx), "both Meta channels are checked")
	require.Equal(t, 0, d.s.API.CheckGraphDue(ctx), "a checked channel is not due again at once")
	require.Equal(t, []string{"/v21.0/5550001?fields=id", "/v21.0/5550001/subscribed_apps?"}, calls("page-token"))
	require.Equal(t, []string{"/v21.0/106540352242922?fields=id", "/v21.0/8880001/subscribed_apps?"}, calls("wa-token"))
	for _, ch := range []string{page, wa} {
		h := d.health(ch)
		require.Equal(t, "ok", h["state"], "%v", h)
		require.NotNil(t, h["checked_at"], "%v", h)
		require.NotNil(t, h["last_success_at"], "a check that worked is a success: %v", h)
	}

	// The page is unsubscribed from the app at Meta: degraded, saying messages will not arrive.
	d.s.Graph.SetSubscribedApps("5550001", `{"data":[]}`)
	due(page)
	require.Equal(t, 1, d.s.API.CheckGraphDue(ctx))
	h := d.health(page)
	require.Equal(t, "degraded", h["state"], "%v", h)
	require.Contains(t, h["reason"], "not subscribed to the app's webhook messages")
	var next time.Time
	require.NoError(t, d.s.Store.DB().Get(&next, `SELECT next_check_at FROM graph_checks WHERE channel_id = $1`, page))
	require.Less(t, time.Until(next), 30*time.Minute, "a failed check is retried sooner than the hourly check")

	// The WhatsApp token expires: failing at once, a reason to act on, one admin email.
	d.s.Graph.FailNext(http.StatusUnauthorized, `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190}}`)
	due(wa)
	require.Equal(t, 1, d.s.API.CheckGraphDue(ctx))
	h = d.health(wa)
	require.Equal(t, "failing", h["state"], "%v", h)
	require.Contains(t, h["reason"], "Meta refused the access token")
	require.Equal(t, float64(1), d.metric("routedesk_channel_health", `channel_type="whatsapp",state="failing"`))
	require.Eventually(t, func() bool { return len(d.alerts("boss@acme.test")) == 1 }, 15*time.Second, 50*time.Millisecond, "the admin's alert")
	require.Equal(t, 1, d.queuedAlerts(wa))

	// A signed delivery for the page is recorded; the page subscribed again is ok.
	require.Nil(t, d.health(page)["last_webhook_at"])
	body := messengerPayload(map[string][]string{"5550001": {"m.1"}})
	require.Equal(t, http.StatusOK, postWebhook(t, d.s, "/webhooks/messenger", body, sign(body, "page-secret")).Status)
	require.NotNil(t, d.health(page)["last_webhook_at"])
	d.s.Graph.SetSubscribedApps("5550001", `{"data":[{"id":"1234","subscribed_fields":["messages"]}]}`)
	due(page)
	require.Equal(t, 1, d.s.API.CheckGraphDue(ctx))
	h = d.health(page)
	require.Equal(t, "ok", h["state"], "%v", h)
	require.False(t, strings.Contains(h["reason"].(string), "subscribed"))
}
