package server_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// TestBurstIsPacedThroughTheDeliveryWindow posts a burst of first messages to
// a server whose delivery window holds 5: every message is answered 202 at
// once and stored, but only 5 are signalled to Temporal until their
// conversations have tickets; each ticket made lets one more through, without waiting for the redrive loop's grace period, until every
// message was signalled exactly once.
func TestBurstIsPacedThroughTheDeliveryWindow(t *testing.T) {
	const window, n = 5, 20
	ps := newPacedStack(t, server.Config{DeliveryWindow: window})
	st, acc, token, ch, tc, reg, api, hs := ps.st, ps.acc, ps.token, ps.ch, ps.tc, ps.reg, ps.api, ps.hs
	// The loop's first pass (nothing to claim) is over, so a delivery below is a wake-up.
	testenv.Eventually(t, 10*time.Second, "the redrive loop's first pass", func() bool { return api.Redelivery().Passes() > 0 })

	conversations := make([]string, n)
	messages := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := testenv.Do(t, hs, http.MethodPost, "/v1/channels/"+ch.ID+"/messages", token, map[string]any{
				"external_id": fmt.Sprint("m", i), "thread_id": fmt.Sprint("burst-", i), "text": "help"})
			require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
			conversations[i], messages[i] = r.Map(t)["conversation_id"].(string), r.Map(t)["message_id"].(string)
		}()
	}
	wg.Wait()

	signalled := func() map[string]bool {
		out := map[string]bool{}
		for i, id := range messages {
			if tc.count(id) > 0 {
				out[conversations[i]] = true
			}
		}
		return out
	}
	ticketed := map[string]bool{}
	for len(ticketed) < n {
		want := min(len(ticketed)+window, n)
		testenv.Eventually(t, 5*time.Second, fmt.Sprintf("%d messages signalled", want), func() bool { return len(signalled()) == want })
		time.Sleep(300 * time.Millisecond) // time for an excess signal to (wrongly) go out: nothing is awaited
		sig := signalled()
		require.Len(t, sig, want, "no more than the window is signalled while no ticket is made")
		for conv := range sig {
			if !ticketed[conv] {
				_, err := st.DB().Exec(`INSERT INTO tickets (id, account_id, conversation_id, channel_id) VALUES ($1, $2, $3, $4)`,
					"tkt_"+conv, acc.ID, conv, ch.ID)
				require.NoError(t, err)
				ticketed[conv] = true
			}
		}
	}
	for _, id := range messages {
		require.Equal(t, 1, tc.count(id), "message %s signalled once", id)
	}
	require.Equal(t, float64(n-window), metricValue(t, reg, "routedesk_deliveries_paced_total"), "the requests beyond the window left their message to the loop")
}

// pacedStack is a server on a fresh store, one account with a chat channel, a
// Temporal client that counts signal-with-starts and runs no workflow (the
// test makes the tickets), and the redrive loop running (interval and grace a
// minute, so neither is what delivers) until the test ends.
type pacedStack struct {
	st    *store.Store
	acc   domain.Account
	token string
	ch    domain.Channel
	tc    *countingTemporal
	reg   *prometheus.Registry
	api   *server.Server
	hs    string
}

// newPacedStack starts a pacedStack with cfg's pacing settings (its window expiry a minute unless set).
func newPacedStack(t *testing.T, cfg server.Config) *pacedStack {
	t.Helper()
	ctx := context.Background()
	ps := &pacedStack{st: testenv.Store(t), tc: newCountingTemporal(nil), reg: prometheus.NewRegistry()}
	var err error
	ps.acc, ps.token, err = ps.st.CreateAccount(ctx, "A", domain.TierStarter, false)
	require.NoError(t, err)
	ps.ch, err = ps.st.CreateChannel(ctx, ps.acc.ID, store.ChannelWrite{Type: "chat", Name: "c", Redacted: []byte(`{}`), Full: []byte(`{}`)})
	require.NoError(t, err)
	cfg.ConversationIDs, cfg.TaskQueue = testenv.ConversationIDs(t), workflows.DefaultTaskQueue
	if cfg.DeliveryWindowExpiry == 0 {
		cfg.DeliveryWindowExpiry = time.Minute
	}
	ps.api = server.New(ps.st, ps.tc, cfg, quietLog(), ps.reg, ps.reg)
	ps.hs = httptestServer(t, ps.api)
	runCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go ps.api.Redrive(runCtx, time.Minute, time.Minute)
	return ps
}
