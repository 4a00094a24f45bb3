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
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// busyTemporal answers the first busy signal-with-starts of each message as
// an overloaded Temporal does — a deadline exceeded from the server, the
// client's own context deadline, a resource-exhausted refusal, in turn — and
// accepts the later ones (without a Temporal server); busy < 0 never accepts.
type busyTemporal struct {
	client.Client
	busy  int
	mu    sync.Mutex
	calls map[string]int
}

func (b *busyTemporal) SignalWithStartWorkflow(_ context.Context, workflowID, _ string, signalArg any,
	_ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	b.mu.Lock()
	id := signalArg.(workflows.InboundMessage).MessageID
	n := b.calls[id]
	b.calls[id]++
	b.mu.Unlock()
	if b.busy >= 0 && n >= b.busy {
		return nil, nil
	}
	switch n % 3 {
	case 0:
		return nil, serviceerror.NewDeadlineExceeded("context deadline exceeded")
	case 1:
		return nil, fmt.Errorf("signal-with-start %s: %w", workflowID, context.DeadlineExceeded)
	}
	return nil, serviceerror.NewResourceExhausted(enumspb.RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT, "namespace rate limit exceeded")
}

func (b *busyTemporal) count(messageID string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[messageID]
}

// TestRedriveRetriesABusyTemporalPromptlyWithoutSpendingAttempts: messages
// whose signal-with-start times out or is rate limited six times in a row are
// delivered within seconds (no exponential backoff: with it, the sixth retry
// alone waits 16–32 s) and keep their attempts (RedriveMaxAttempts 3 would
// otherwise fail them); busy answers are still bounded per message.
func TestRedriveRetriesABusyTemporalPromptlyWithoutSpendingAttempts(t *testing.T) {
	st := testenv.Store(t)
	ctx := context.Background()
	acc, _, err := st.CreateAccount(ctx, "A", domain.TierStarter, false)
	require.NoError(t, err)
	ch, err := st.CreateChannel(ctx, acc.ID, store.ChannelWrite{Type: "chat", Name: "c", Redacted: []byte(`{}`), Full: []byte(`{}`)})
	require.NoError(t, err)
	var msgs []store.Accepted
	for i := range 3 {
		msgs = append(msgs, storeUndelivered(t, st, acc.ID, ch.ID, fmt.Sprintf("t:busy-%d", i), fmt.Sprint("busy-", i), testenv.ConversationIDs(t).ID))
	}

	const busy = 6
	tc := &busyTemporal{busy: busy, calls: map[string]int{}}
	reg := prometheus.NewRegistry()
	api := server.New(st, tc, server.Config{TaskQueue: workflows.DefaultTaskQueue, RedriveMaxAttempts: 3,
		RedriveBackoff: time.Second, RedriveMaxBackoff: 5 * time.Minute}, quietLog(), reg, reg)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	go api.Redrive(runCtx, 200*time.Millisecond, 0)

	testenv.Eventually(t, 15*time.Second, "every busy message delivered", func() bool {
		for _, m := range msgs {
			if deliveryState(t, st, acc.ID, m.MessageID).State != store.DeliveryDelivered {
				return false
			}
		}
		return true
	})
	took := time.Since(start)
	for _, m := range msgs {
		d := deliveryState(t, st, acc.ID, m.MessageID)
		require.Equal(t, busy+1, tc.count(m.MessageID), "retried after each busy answer")
		require.Equal(t, 1, d.Attempts, "busy answers are not counted as attempts")
	}
	require.Less(t, took, 10*time.Second, "six busy answers are retried within about a second each")
	require.Equal(t, float64(3*busy), metricValue(t, reg, "routedesk_redrive_busy_total"))
	require.Equal(t, 0.0, metricValue(t, reg, "routedesk_redrive_failed_total"))
}

// TestRedriveBusyRetriesAreBounded: a message Temporal never accepts in time
// is still given up on, after RedriveMaxBusyRetries busy retries and then its
// RedriveMaxAttempts counted ones, with the reason.
func TestRedriveBusyRetriesAreBounded(t *testing.T) {
	st := testenv.Store(t)
	ctx := context.Background()
	acc, _, err := st.CreateAccount(ctx, "A", domain.TierStarter, false)
	require.NoError(t, err)
	ch, err := st.CreateChannel(ctx, acc.ID, store.ChannelWrite{Type: "chat", Name: "c", Redacted: []byte(`{}`), Full: []byte(`{}`)})
	require.NoError(t, err)
	m := storeUndelivered(t, st, acc.ID, ch.ID, "t:stuck", "stuck", testenv.ConversationIDs(t).ID)

	tc := &busyTemporal{busy: -1, calls: map[string]int{}}
	reg := prometheus.NewRegistry()
	api := server.New(st, tc, server.Config{TaskQueue: workflows.DefaultTaskQueue, RedriveMaxAttempts: 2, RedriveMaxBusyRetries: 4,
		RedriveBackoff: 20 * time.Millisecond, RedriveMaxBackoff: 50 * time.Millisecond}, quietLog(), reg, reg)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go api.Redrive(runCtx, 50*time.Millisecond, 0)

	testenv.Eventually(t, 20*time.Second, "the always-busy message failed", func() bool {
		return deliveryState(t, st, acc.ID, m.MessageID).State == store.DeliveryFailed
	})
	// 4 busy retries, then attempts 1 and 2 counted; the second one gives up.
	require.Equal(t, 4+2, tc.count(m.MessageID))
	d := deliveryState(t, st, acc.ID, m.MessageID)
	require.Contains(t, d.Reason, "gave up after 2 attempts")
	require.Equal(t, 4.0, metricValue(t, reg, "routedesk_redrive_busy_total"))
}

// TestFailedRequestDeliveryIsRedrivenWithoutWaitingForTheGrace: when the
// request's own signal-with-start fails (Temporal busy), the message goes to
// the redrive loop at once, not after the loop's grace period.
func TestFailedRequestDeliveryIsRedrivenWithoutWaitingForTheGrace(t *testing.T) {
	st := testenv.Store(t)
	ctx := context.Background()
	acc, token, err := st.CreateAccount(ctx, "A", domain.TierStarter, false)
	require.NoError(t, err)
	ch, err := st.CreateChannel(ctx, acc.ID, store.ChannelWrite{Type: "chat", Name: "c", Redacted: []byte(`{}`), Full: []byte(`{}`)})
	require.NoError(t, err)

	tc := &busyTemporal{busy: 1, calls: map[string]int{}} // the request's attempt times out, the next is accepted
	reg := prometheus.NewRegistry()
	api := server.New(st, tc, server.Config{ConversationIDs: testenv.ConversationIDs(t), TaskQueue: workflows.DefaultTaskQueue}, quietLog(), reg, reg)
	hs := httptestServer(t, api)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go api.Redrive(runCtx, time.Minute, time.Minute) // neither the interval nor the grace may be what delivers
	// The loop's first pass (nothing to claim) is over, so a delivery below is a wake-up.
	testenv.Eventually(t, 10*time.Second, "the redrive loop's first pass", func() bool { return api.Redelivery().Passes() > 0 })

	r := testenv.Do(t, hs, http.MethodPost, "/v1/channels/"+ch.ID+"/messages", token, map[string]any{
		"external_id": "m1", "thread_id": "busy-request", "text": "help"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	id := r.Map(t)["message_id"].(string)
	testenv.Eventually(t, 10*time.Second, "the message delivered by the redrive loop", func() bool {
		return deliveryState(t, st, acc.ID, id).State == store.DeliveryDelivered
	})
	require.Equal(t, 2, tc.count(id))
}
