package server_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
)

// TestIntakeLimitRefusesWhileTheBacklogIsLong: with ROUTEDESK_INTAKE_LIMIT
// set, once that many accepted messages wait for their workflow (the
// delivery window is full and nothing is ticketed), inbound routes — the
// messages route and a channel's own route (form submissions) — answer 503
// problem+json with a Retry-After and store nothing; once tickets are made
// and the backlog drains, the same requests are taken again, and every
// accepted message is signalled exactly once.
func TestIntakeLimitRefusesWhileTheBacklogIsLong(t *testing.T) {
	const window, limit = 2, 4
	ps := newPacedStack(t, server.Config{DeliveryWindow: window, IntakeLimit: limit})
	st, acc, token, ch, tc, reg, hs := ps.st, ps.acc, ps.token, ps.ch, ps.tc, ps.reg, ps.hs
	form := testenv.Do(t, hs, http.MethodPost, "/v1/channels", token, map[string]any{"type": "form", "name": "Contact form",
		"config": formConfig(false)})
	require.Equal(t, http.StatusCreated, form.Status, string(form.Body))
	formID := form.Map(t)["id"].(string)

	post := func(i int) testenv.Response {
		return testenv.Do(t, hs, http.MethodPost, "/v1/channels/"+ch.ID+"/messages", token, map[string]any{
			"external_id": fmt.Sprint("m", i), "thread_id": fmt.Sprint("t-", i), "text": "help"})
	}
	submit := func(i int) testenv.Response {
		return testenv.Do(t, hs, http.MethodPost, "/v1/channels/"+formID+"/submissions", token, map[string]any{
			"external_id": fmt.Sprint("s", i), "fields": map[string]any{"email": "ada@example.com", "topic": "billing", "message": "charged twice"}})
	}
	stored := func() int {
		var n int
		require.NoError(t, st.DB().Get(&n, `SELECT count(*) FROM messages WHERE account_id = $1`, acc.ID))
		return n
	}
	// 2 in the window, 4 waiting: the limit.
	var messages []string
	for i := range window + limit {
		r := post(i)
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
		messages = append(messages, r.Map(t)["message_id"].(string))
	}
	testenv.Eventually(t, 5*time.Second, "the intake gate shuts", func() bool {
		return metricValue(t, reg, "routedesk_intake_refusing") == 1
	})
	refused := post(100)
	require.Equal(t, http.StatusServiceUnavailable, refused.Status, string(refused.Body))
	require.Equal(t, "application/problem+json", refused.Header.Get("Content-Type"))
	require.Contains(t, string(refused.Body), "4 accepted messages are waiting")
	wait, err := strconv.Atoi(refused.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", refused.Header.Get("Retry-After"))
	require.True(t, wait >= 1 && wait <= 30, "Retry-After %d s", wait)
	viaChannel := submit(1)
	require.Equal(t, http.StatusServiceUnavailable, viaChannel.Status, "a channel's own route: %s", viaChannel.Body)
	require.NotEmpty(t, viaChannel.Header.Get("Retry-After"))
	require.Equal(t, window+limit, stored(), "a refused message is not stored")

	// Ticket what was signalled until the backlog drains under 80 % of the limit: intake opens again.
	ticket := func() {
		for i, id := range messages {
			if tc.count(id) == 0 {
				continue
			}
			var conv string
			require.NoError(t, st.DB().Get(&conv, `SELECT conversation_id FROM messages WHERE id = $1`, id))
			_, err := st.DB().Exec(`INSERT INTO tickets (id, account_id, conversation_id, channel_id) VALUES ($1, $2, $3, $4)
				ON CONFLICT DO NOTHING`, fmt.Sprint("tkt_", i), acc.ID, conv, ch.ID)
			require.NoError(t, err)
		}
	}
	testenv.Eventually(t, 10*time.Second, "intake open again", func() bool {
		ticket()
		return metricValue(t, reg, "routedesk_intake_refusing") == 0
	})
	again := post(100)
	require.Equal(t, http.StatusAccepted, again.Status, string(again.Body))
	messages = append(messages, again.Map(t)["message_id"].(string))
	require.Equal(t, http.StatusAccepted, submit(1).Status)
	require.Equal(t, float64(2), metricValue(t, reg, "routedesk_intake_refused_total"), "both refusals are counted")
	require.Equal(t, float64(0), metricValue(t, reg, "routedesk_intake_refusing"), "the gate is open again")
	for _, id := range messages {
		testenv.Eventually(t, 10*time.Second, "every accepted message signalled", func() bool { ticket(); return tc.count(id) >= 1 })
		require.Equal(t, 1, tc.count(id), "message %s signalled once", id)
	}
}
