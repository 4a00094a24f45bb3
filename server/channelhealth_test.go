package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// healthDesk is an account with an admin whose token makes them an alert recipient.
type healthDesk struct {
	t     *testing.T
	s     *testenv.Stack
	token string
}

func newHealthDesk(t *testing.T, admin string) healthDesk {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "enterprise")
	u := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": admin, "name": "Boss", "has_profile": false})
	require.Equal(t, http.StatusCreated, u.Status, string(u.Body))
	r := s.Do(http.MethodPost, "/v1/users/"+u.Map(t)["id"].(string)+"/tokens", token, map[string]any{"role": "admin"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	return healthDesk{t: t, s: s, token: token}
}

// health is the channel's health as the API shows it.
func (d healthDesk) health(ch string) map[string]any {
	r := d.s.Do(http.MethodGet, "/v1/channels/"+ch, d.token, nil)
	require.Equal(d.t, http.StatusOK, r.Status, string(r.Body))
	return r.Map(d.t)["health"].(map[string]any)
}

// metric is the /metrics sample with exactly these labels; -1 when absent.
func (d healthDesk) metric(name, labels string) float64 {
	resp, err := http.Get(d.s.HTTP.URL + "/metrics")
	require.NoError(d.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, name+"{"+labels+"} "); ok {
			var v float64
			if _, err := fmt.Sscanf(rest, "%g", &v); err == nil {
				return v
			}
		}
	}
	return -1
}

// alerts are the channel-failing emails sent to addr.
func (d healthDesk) alerts(addr string) []testenv.Mail {
	var out []testenv.Mail
	for _, m := range d.s.Mail.Received() {
		if len(m.To) == 1 && m.To[0] == addr && strings.Contains(m.Data, "is failing") {
			out = append(out, m)
		}
	}
	return out
}

// failuresRecorded is how many failures the channel's component has recorded in all.
func (d healthDesk) failuresRecorded(ch, component string) int {
	var n int
	_ = d.s.Store.DB().Get(&n, `SELECT COALESCE((SELECT failures_total FROM channel_health WHERE channel_id = $1 AND component = $2), 0)`, ch, component)
	return n
}

// queuedAlerts is how many admin alerts the channel has queued (sent or not).
func (d healthDesk) queuedAlerts(ch string) int {
	var n int
	require.NoError(d.t, d.s.Store.DB().Get(&n, `SELECT count(*) FROM channel_health_alerts WHERE channel_id = $1`, ch))
	return n
}

// message is the stored reply msgID as the ticket's messages show it.
func (d healthDesk) message(ticket, msgID string) map[string]any {
	for _, it := range d.s.Do(http.MethodGet, "/v1/tickets/"+ticket+"/messages?limit=500", d.token, nil).Map(d.t)["items"].([]any) {
		if m := it.(map[string]any); m["id"] == msgID {
			return m
		}
	}
	d.t.Fatalf("no message %s on ticket %s", msgID, ticket)
	return nil
}

// awaitRetrying waits until the reply shows retrying with its next attempt and last reason.
func (d healthDesk) awaitRetrying(ticket, msgID, reason string) {
	var m map[string]any
	testenv.Eventually(d.t, 20*time.Second, "the reply retrying", func() bool {
		m = d.message(ticket, msgID)
		return m["status"] == "retrying"
	})
	require.NotEmpty(d.t, m["next_attempt_at"], "a retrying reply shows its next attempt: %v", m)
	next, err := time.Parse(time.RFC3339Nano, m["next_attempt_at"].(string))
	require.NoError(d.t, err)
	require.False(d.t, next.Before(time.Now().Add(-time.Minute)), "next attempt %s is not in the past", next)
	require.Contains(d.t, m["failure_reason"], reason, "a retrying reply shows the last reason: %v", m)
}

// TestCustomAppHealth: a custom app refusing one message (400, 422) leaves the
// channel ok and emails nobody; a 401 fails the channel at once with a reason
// about credentials, counted in /metrics and told to the admin in exactly one
// email however often it repeats; its 5xx make the reply retrying (with the
// next attempt) and the channel degraded, then failing.
func TestCustomAppHealth(t *testing.T) {
	d := newHealthDesk(t, "boss@acme.test")
	app := &appFake{refusals: "unknown chat"}
	hs := httptest.NewServer(app)
	t.Cleanup(hs.Close)
	ch := createChannel(t, d.s, d.token, map[string]any{"type": "custom", "name": "Telegram bridge",
		"config": map[string]any{"app_name": "Telegram", "outbound_url": hs.URL + "/hook", "secret": "s3cret"}})
	key := d.s.Do(http.MethodPost, "/v1/channels/"+ch+"/keys", d.token, nil).Map(t)["key"].(string)
	in := d.s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", key, map[string]any{"external_id": "tg-1", "thread_id": "tg-chat-1",
		"from": map[string]any{"external_user_id": "tg-42", "name": "Ada"}, "text": "Hi from Telegram"})
	require.Equal(t, http.StatusAccepted, in.Status, string(in.Body))
	ticket := waitTicket(t, d.s, d.token, "channel_id="+ch)["id"].(string)
	answer := func(statuses ...int) {
		app.mu.Lock()
		defer app.mu.Unlock()
		app.answers = statuses
	}
	reply := func(text string) map[string]any {
		r := d.s.Do(http.MethodPost, "/v1/tickets/"+ticket+"/replies", d.token, map[string]any{"text": text})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
		return r.Map(t)
	}

	// Refusals of one message, more than health.FailAfter of them: the app answered, the channel is fine.
	for i, status := range []int{http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusConflict, http.StatusBadRequest} {
		answer(status)
		r := reply(fmt.Sprint("refused ", i))
		require.Equal(t, "failed", r["status"], "%v", r)
		require.Contains(t, r["failure_reason"], "unknown chat")
	}
	h := d.health(ch)
	require.Equal(t, "ok", h["state"], "a refusal of one message says nothing about the channel: %v", h)
	require.Equal(t, 0, d.failuresRecorded(ch, "endpoint"))
	require.Equal(t, 0, d.queuedAlerts(ch))

	// Credentials refused: failing at once, a reason a person can act on, one alert.
	before := d.failuresRecorded(ch, "endpoint")
	answer(http.StatusUnauthorized)
	r := reply("with a stale secret")
	require.Equal(t, "failed", r["status"], "%v", r)
	require.Contains(t, r["failure_reason"], "refused our credentials")
	h = d.health(ch)
	require.Equal(t, "failing", h["state"], "%v", h)
	require.Contains(t, h["reason"], "Telegram refused our credentials (401 Unauthorized): check the channel key/secret")
	require.Equal(t, float64(1), d.metric("routedesk_channel_health", `channel_type="custom",state="failing"`))
	require.GreaterOrEqual(t, d.metric("routedesk_channel_failures_total", `channel_type="custom",component="endpoint"`), float64(before+1))
	testenv.Eventually(t, 15*time.Second, "the admin's alert", func() bool { return len(d.alerts("boss@acme.test")) == 1 })
	answer(http.StatusForbidden)
	require.Equal(t, "failed", reply("again")["status"])
	testenv.Eventually(t, 10*time.Second, "the second refusal recorded", func() bool { return d.failuresRecorded(ch, "endpoint") >= before+2 })
	require.Equal(t, 1, d.queuedAlerts(ch), "one alert per transition, not per failure")
	require.Contains(t, d.alerts("boss@acme.test")[0].Data, "refused our credentials")

	// The app is fixed: one reply sent makes the channel ok again.
	answer()
	require.Equal(t, "sent", reply("fixed")["status"])
	require.Equal(t, "ok", d.health(ch)["state"])

	// The app fails for a while: the reply is retrying with its next attempt and the last reason,
	// the channel degrades and then fails as for any sender; once the app answers, all is well.
	answer(slices.Repeat([]int{http.StatusServiceUnavailable}, 1000)...)
	msgID := reply("through the outage")["message_id"].(string)
	d.awaitRetrying(ticket, msgID, "503")
	testenv.Eventually(t, 30*time.Second, "the channel failing after repeated 503s", func() bool { return d.health(ch)["state"] == "failing" })
	require.Contains(t, d.health(ch)["reason"], "Telegram is limiting or failing our calls (503 Service Unavailable)")
	answer()
	testenv.Eventually(t, 60*time.Second, "the retried reply sent", func() bool { return d.message(ticket, msgID)["status"] == "sent" })
	require.Equal(t, "ok", d.health(ch)["state"], "a success after the outage: ok again")
}

// TestGraphTokenRefusedHealth: Meta refusing the page token (401, code 190)
// fails the reply and the channel at once, with a reason that says to paste a
// new token, in /metrics and in exactly one admin email; Meta answering 503
// makes a Messenger reply retrying with its next attempt and last reason.
func TestGraphTokenRefusedHealth(t *testing.T) {
	d := newHealthDesk(t, "boss@acme.test")
	ch := createChannel(t, d.s, d.token, map[string]any{"type": "messenger", "name": "FB", "config": map[string]any{
		"page_id": "99887766", "page_access_token": "EAAB-expiring", "app_secret": "app-secret-value"}})
	in := d.s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", d.token, map[string]any{"external_id": "mid.1", "thread_id": "psid-7",
		"from": map[string]any{"external_user_id": "psid-7", "name": "Visitor"}, "text": "hi"})
	require.Equal(t, http.StatusAccepted, in.Status, string(in.Body))
	ticket := waitTicket(t, d.s, d.token, "channel_id="+ch)["id"].(string)
	reply := func(text string) map[string]any {
		r := d.s.Do(http.MethodPost, "/v1/tickets/"+ticket+"/replies", d.token, map[string]any{"text": text})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
		return r.Map(t)
	}

	expired := `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}`
	d.s.Graph.FailNext(http.StatusUnauthorized, expired)
	r := reply("with an expired token")
	require.Equal(t, "failed", r["status"], "%v", r)
	h := d.health(ch)
	require.Equal(t, "failing", h["state"], "%v", h)
	require.Contains(t, h["reason"], "Meta refused the access token")
	require.Contains(t, h["reason"], "paste a new token")
	require.Equal(t, float64(1), d.metric("routedesk_channel_health", `channel_type="messenger",state="failing"`))
	require.GreaterOrEqual(t, d.metric("routedesk_channel_failures_total", `channel_type="messenger",component="graph"`), float64(1))
	testenv.Eventually(t, 15*time.Second, "the admin's alert", func() bool { return len(d.alerts("boss@acme.test")) == 1 })
	before := d.failuresRecorded(ch, "graph")
	d.s.Graph.FailNext(http.StatusUnauthorized, expired)
	require.Equal(t, "failed", reply("again")["status"])
	testenv.Eventually(t, 10*time.Second, "the second refusal recorded", func() bool { return d.failuresRecorded(ch, "graph") > before })
	require.Equal(t, 1, d.queuedAlerts(ch), "one alert per transition, not per failure")
	require.Contains(t, d.alerts("boss@acme.test")[0].Data, "Meta refused the access token")

	// Meta is fixed up: a reply sent makes the channel ok again.
	d.s.Graph.ClearFailures()
	require.Equal(t, "sent", reply("with a new token")["status"])
	require.Equal(t, "ok", d.health(ch)["state"])

	// Meta fails for a while: the reply is retrying with its next attempt and the last reason.
	for range 1000 {
		d.s.Graph.FailNext(http.StatusServiceUnavailable, `{"error":{"message":"try later","code":2}}`)
	}
	msgID := reply("through Meta's outage")["message_id"].(string)
	d.awaitRetrying(ticket, msgID, "try later")
	d.s.Graph.ClearFailures()
	testenv.Eventually(t, 60*time.Second, "the retried reply sent", func() bool { return d.message(ticket, msgID)["status"] == "sent" })
	require.Equal(t, "ok", d.health(ch)["state"])
}
