package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// countingTemporal wraps a Temporal client: it counts signal-with-start calls
// per message, fails those of chosen workflow ids, and, with no client inside,
// accepts every call without a Temporal server.
type countingTemporal struct {
	client.Client
	mu    sync.Mutex
	calls map[string]int // message id → signal-with-start calls
	fail  map[string]error
	total atomic.Int64
}

func newCountingTemporal(inner client.Client) *countingTemporal {
	return &countingTemporal{Client: inner, calls: map[string]int{}, fail: map[string]error{}}
}

func (c *countingTemporal) setFailure(workflowID string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		delete(c.fail, workflowID)
		return
	}
	c.fail[workflowID] = err
}

func (c *countingTemporal) count(messageID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[messageID]
}

func (c *countingTemporal) SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any,
	options client.StartWorkflowOptions, workflow any, workflowArgs ...any) (client.WorkflowRun, error) {
	c.mu.Lock()
	c.calls[signalArg.(workflows.InboundMessage).MessageID]++
	err := c.fail[workflowID]
	c.mu.Unlock()
	c.total.Add(1)
	if err != nil {
		return nil, err
	}
	if c.Client == nil {
		time.Sleep(time.Millisecond) // a round trip, so two servers really overlap
		return nil, nil
	}
	return c.Client.SignalWithStartWorkflow(ctx, workflowID, signalName, signalArg, options, workflow, workflowArgs...)
}

// storeUndelivered stores an inbound message without delivering it, as a crash right after the insert would leave it.
func storeUndelivered(t *testing.T, st *store.Store, accountID, channelID, threadKey, externalID string, id store.WorkflowIDFor) store.Accepted {
	t.Helper()
	a, err := st.AcceptInbound(context.Background(), store.Inbound{AccountID: accountID, ChannelID: channelID, ThreadKey: threadKey,
		ExternalID: externalID, Text: "message " + externalID, SentAt: time.Now()}, id)
	require.NoError(t, err)
	return a
}

func deliveryState(t *testing.T, st *store.Store, accountID, messageID string) store.Delivery {
	t.Helper()
	d, err := st.Delivery(context.Background(), accountID, messageID)
	require.NoError(t, err)
	return d
}

func TestRedrivePoisonedMessageDoesNotBlockOthers(t *testing.T) {
	s := testenv.NewStack(t)
	accID, token := s.Account("Acme", "starter")
	ch := chatChannel(t, s, token)

	// Stored first: one message Temporal refuses for good, one that keeps failing
	// with a retryable error, one whose conversation has a pre-encoding id Temporal cannot take.
	poison := storeUndelivered(t, s.Store, accID, ch, "t:poison", "poison", testenv.ConversationIDs(t).ID)
	flaky := storeUndelivered(t, s.Store, accID, ch, "t:flaky", "flaky", testenv.ConversationIDs(t).ID)
	legacy := storeUndelivered(t, s.Store, accID, ch, "t:café", "legacy", func(c, k string) string { return "conv:" + c + ":" + k })
	var later []store.Accepted
	for i := range 4 {
		later = append(later, storeUndelivered(t, s.Store, accID, ch, fmt.Sprintf("t:later-%d", i), fmt.Sprintf("later-%d", i), testenv.ConversationIDs(t).ID))
	}

	tc := newCountingTemporal(s.Temporal)
	tc.setFailure(poison.WorkflowID, serviceerror.NewInvalidArgument("poisoned: the request is invalid"))
	tc.setFailure(flaky.WorkflowID, serviceerror.NewInternal("flaky: try again"))
	reg := prometheus.NewRegistry()
	api := server.New(s.Store, tc, server.Config{ConversationIDs: testenv.ConversationIDs(t), TaskQueue: workflows.DefaultTaskQueue, RedriveMaxAttempts: 3,
		RedriveBackoff: 20 * time.Millisecond, RedriveMaxBackoff: 50 * time.Millisecond}, quietLog(), reg, reg)
	hs := httptestServer(t, api)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go api.Redrive(ctx, 50*time.Millisecond, 0)

	// Every message stored after the bad ones becomes a ticket; the legacy id was repaired.
	testenv.Eventually(t, 40*time.Second, "tickets for the later and the legacy messages", func() bool { return countTickets(t, s) == len(later)+1 })
	for _, a := range later {
		require.Equal(t, store.DeliveryDelivered, deliveryState(t, s.Store, accID, a.MessageID).State)
	}
	var repaired string
	require.NoError(t, s.Store.DB().Get(&repaired, `SELECT workflow_id FROM conversations WHERE id = $1`, legacy.ConversationID))
	require.Equal(t, testenv.ConversationIDs(t).ID(ch, "t:café"), repaired)

	// The refused message fails at once; the flaky one after its 3 attempts, each with its reason.
	testenv.Eventually(t, 20*time.Second, "both bad messages failed", func() bool {
		return deliveryState(t, s.Store, accID, poison.MessageID).State == store.DeliveryFailed &&
			deliveryState(t, s.Store, accID, flaky.MessageID).State == store.DeliveryFailed
	})
	require.Equal(t, 1, tc.count(poison.MessageID), "a non-retryable error is not retried")
	require.Equal(t, 3, tc.count(flaky.MessageID), "retried up to RedriveMaxAttempts")
	require.Equal(t, 2.0, metricValue(t, reg, "routedesk_redrive_failed_total"))
	require.Equal(t, float64(len(later)+1), metricValue(t, reg, "routedesk_redrive_delivered_total"))
	require.GreaterOrEqual(t, metricValue(t, reg, "routedesk_redrive_retried_total"), 2.0, "the flaky message's first two attempts")

	r := testenv.Do(t, hs, http.MethodGet, "/v1/deliveries?state=failed", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	items := r.Map(t)["items"].([]any)
	require.Len(t, items, 2)
	byID := map[string]map[string]any{}
	for _, it := range items {
		byID[it.(map[string]any)["message_id"].(string)] = it.(map[string]any)
	}
	require.Contains(t, byID[poison.MessageID]["reason"], "poisoned")
	require.EqualValues(t, 1, byID[poison.MessageID]["attempts"])
	require.Equal(t, ch, byID[poison.MessageID]["channel_id"])
	require.Equal(t, "chat", byID[poison.MessageID]["channel_type"])
	require.Contains(t, byID[flaky.MessageID]["reason"], "gave up after 3 attempts")
	require.Equal(t, http.StatusUnprocessableEntity, testenv.Do(t, hs, http.MethodGet, "/v1/deliveries?state=lost", token, nil).Status)
	testenv.Eventually(t, 10*time.Second, "the metrics", func() bool {
		metrics := string(testenv.Do(t, hs, http.MethodGet, "/metrics", "", nil).Body)
		return strings.Contains(metrics, "routedesk_redrive_failed_total 2") && strings.Contains(metrics, "routedesk_deliveries_pending 0")
	})

	// Once the cause is gone, an admin re-queues the message and it is delivered.
	tc.setFailure(poison.WorkflowID, nil)
	r = testenv.Do(t, hs, http.MethodPost, "/v1/deliveries/"+poison.MessageID+"/retry", token, nil)
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	require.Equal(t, store.DeliveryPending, r.Map(t)["state"])
	testenv.Eventually(t, 20*time.Second, "the re-queued message delivered", func() bool {
		return deliveryState(t, s.Store, accID, poison.MessageID).State == store.DeliveryDelivered
	})
	require.Equal(t, http.StatusConflict, testenv.Do(t, hs, http.MethodPost, "/v1/deliveries/"+poison.MessageID+"/retry", token, nil).Status)
	require.Equal(t, http.StatusNotFound, testenv.Do(t, hs, http.MethodPost, "/v1/deliveries/msg_nope/retry", token, nil).Status)
	pending := testenv.Do(t, hs, http.MethodGet, "/v1/deliveries?state=pending", token, nil).Map(t)["items"].([]any)
	require.Empty(t, pending)
}

func metricValue(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			if g := mf.GetMetric()[0].GetGauge(); g != nil {
				return g.GetValue()
			}
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestTwoServersSplitARedriveBacklogDeliveringEachOnce(t *testing.T) {
	st := testenv.Store(t)
	ctx := context.Background()
	acc, _, err := st.CreateAccount(ctx, "A", domain.TierStarter, false)
	require.NoError(t, err)
	ch, err := st.CreateChannel(ctx, acc.ID, store.ChannelWrite{Type: "chat", Name: "c", Redacted: []byte(`{}`), Full: []byte(`{}`)})
	require.NoError(t, err)
	const n = 200
	var ids []string
	for i := range n {
		a := storeUndelivered(t, st, acc.ID, ch.ID, fmt.Sprintf("t:%d", i%40), fmt.Sprint(i), testenv.ConversationIDs(t).ID)
		ids = append(ids, a.MessageID)
	}

	// Two servers on one database, each with its own (fake, counting) Temporal connection.
	temporal := []*countingTemporal{newCountingTemporal(nil), newCountingTemporal(nil)}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, tc := range temporal {
		// The fake runs no workflow, so no ticket would ever free a slot of the delivery window: it holds the whole backlog.
		api := server.New(st, tc, server.Config{ConversationIDs: testenv.ConversationIDs(t), TaskQueue: workflows.DefaultTaskQueue, DeliveryWindow: n}, quietLog(), nil, nil)
		wg.Add(1)
		go func() { defer wg.Done(); api.Redrive(runCtx, 20*time.Millisecond, 0) }()
	}
	testenv.Eventually(t, 40*time.Second, "the backlog delivered", func() bool {
		pending, err := st.PendingDeliveries(ctx)
		require.NoError(t, err)
		return pending == 0
	})
	cancel()
	wg.Wait()

	var doubles []string
	for _, id := range ids {
		if c := temporal[0].count(id) + temporal[1].count(id); c != 1 {
			doubles = append(doubles, fmt.Sprintf("%s×%d", id, c))
		}
	}
	require.Empty(t, doubles, "every message signalled exactly once: %s", strings.Join(doubles, ", "))
	t.Logf("server 1 delivered %d, server 2 delivered %d", temporal[0].total.Load(), temporal[1].total.Load())
	require.EqualValues(t, n, temporal[0].total.Load()+temporal[1].total.Load())
}
