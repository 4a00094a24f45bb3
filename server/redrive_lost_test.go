package server_test

import (
	"context"
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

// lostAnswerTemporal passes every signal-with-start to Temporal but reports
// the first one of each message as timed out, as when Temporal applied the
// signal and its answer was lost (a restart, a slow frontend).
type lostAnswerTemporal struct {
	client.Client
	mu   sync.Mutex
	seen map[string]bool
}

func (l *lostAnswerTemporal) SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any,
	options client.StartWorkflowOptions, workflow any, workflowArgs ...any) (client.WorkflowRun, error) {
	run, err := l.Client.SignalWithStartWorkflow(ctx, workflowID, signalName, signalArg, options, workflow, workflowArgs...)
	l.mu.Lock()
	defer l.mu.Unlock()
	id := signalArg.(workflows.InboundMessage).MessageID
	if err == nil && !l.seen[id] {
		l.seen[id] = true
		return nil, serviceerror.NewDeadlineExceeded("context deadline exceeded")
	}
	return run, err
}

// TestRedriveAfterALostAnswerSignalsOnce: a message whose signal Temporal
// applied but whose answer was lost is retried, and the retry is not a second
// signal in the workflow's history (each message's signal carries one request id).
func TestRedriveAfterALostAnswerSignalsOnce(t *testing.T) {
	s := testenv.NewStack(t)
	ctx := context.Background()
	acc, _, err := s.Store.CreateAccount(ctx, "A", domain.TierStarter, false)
	require.NoError(t, err)
	ch, err := s.Store.CreateChannel(ctx, acc.ID, store.ChannelWrite{Type: "chat", Name: "c", Redacted: []byte(`{}`), Full: []byte(`{}`)})
	require.NoError(t, err)
	ids := testenv.ConversationIDs(t)
	first := storeUndelivered(t, s.Store, acc.ID, ch.ID, "t:lost", "lost-1", ids.ID)
	second := storeUndelivered(t, s.Store, acc.ID, ch.ID, "t:lost", "lost-2", ids.ID)

	tc := &lostAnswerTemporal{Client: s.Temporal, seen: map[string]bool{}}
	reg := prometheus.NewRegistry()
	api := server.New(s.Store, tc, server.Config{ConversationIDs: ids, TaskQueue: workflows.DefaultTaskQueue}, quietLog(), reg, reg)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go api.Redrive(runCtx, 100*time.Millisecond, 0)

	testenv.Eventually(t, 30*time.Second, "both messages delivered", func() bool {
		return deliveryState(t, s.Store, acc.ID, first.MessageID).State == store.DeliveryDelivered &&
			deliveryState(t, s.Store, acc.ID, second.MessageID).State == store.DeliveryDelivered
	})
	require.GreaterOrEqual(t, metricValue(t, reg, "routedesk_redrive_busy_total"), 2.0, "each message was retried after its lost answer")
	signals := 0
	it := s.Temporal.GetWorkflowHistory(ctx, first.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED {
			signals++
		}
	}
	require.Equal(t, 2, signals, "two messages, two signals: the retries were not signalled again")
}
