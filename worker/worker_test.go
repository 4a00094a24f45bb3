package worker_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/rules"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/worker"
	"github.com/routedesk/routedesk/workflows"
)

// recoveryBound is how soon after a worker dies another must have finished
// its conversation: generous for a loaded machine, well under the 30 s
// start-to-close timeout a cut-off store activity used to wait out.
const recoveryBound = 20 * time.Second

// TestAnotherWorkerFinishesAKilledWorkersConversation: worker A takes a new
// conversation and dies in the middle of its opening activity (its connection
// to Temporal is cut, as by SIGKILL: no shutdown, no activity result). Worker
// B finishes the conversation within seconds: the opening runs as a local
// activity inside the workflow task, so the cut-off task times out after the
// API's short workflow-task timeout and B repeats the (idempotent) opening;
// later tasks leave A's sticky queue after worker.StickyTimeout.
func TestAnotherWorkerFinishesAKilledWorkersConversation(t *testing.T) {
	st := testenv.Store(t)
	srv := testenv.Temporal(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dial := func() client.Client {
		c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace(), Logger: sdklog.NewStructuredLogger(log)})
		require.NoError(t, err)
		return c
	}
	api := dial()
	t.Cleanup(api.Close)
	hs := httptest.NewServer(server.New(st, api, server.Config{ConversationIDs: testenv.ConversationIDs(t), BootstrapToken: testenv.BootstrapToken, TaskQueue: workflows.DefaultTaskQueue}, log, nil, nil).Handler())
	t.Cleanup(hs.Close)
	r := testenv.Do(t, hs.URL, http.MethodPost, "/v1/accounts", testenv.BootstrapToken, map[string]string{"name": "A", "tier": "starter"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	token := r.Map(t)["admin_token"].(string)
	r = testenv.Do(t, hs.URL, http.MethodPost, "/v1/channels", token, map[string]any{"type": "chat", "name": "Chat"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch := r.Map(t)["id"].(string)

	// Worker A: its first activity never returns.
	never := make(chan struct{})
	t.Cleanup(func() { close(never) })
	started := make(chan struct{}, 1)
	connA := dial()
	a := sdkworker.New(connA, workflows.DefaultTaskQueue, sdkworker.Options{
		StickyScheduleToStartTimeout: worker.StickyTimeout, WorkerStopTimeout: 100 * time.Millisecond,
	})
	worker.RegisterWorkflows(a)
	a.RegisterActivityWithOptions(func(context.Context, activities.OpenInput) (activities.Opened, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-never
		return activities.Opened{}, errors.New("worker A is dead")
	}, activity.RegisterOptions{Name: "OpenConversation"})
	require.NoError(t, a.Start())
	t.Cleanup(a.Stop)

	r = testenv.Do(t, hs.URL, http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{
		"external_id": "m-1", "thread_id": "visitor-1", "from": map[string]any{"email": "ada@example.com"}, "text": "Where is my order?"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("worker A never started the conversation's first activity")
	}
	connA.Close() // A is gone: nothing it holds will be answered
	killed := time.Now()

	// Worker B: the real activities.
	connB := dial()
	t.Cleanup(connB.Close)
	b := worker.New(connB, workflows.DefaultTaskQueue, &activities.Activities{Store: st, Rules: rules.NewEngine(), Log: log, WorkflowID: testenv.ConversationIDs(t).ID}, time.Second)
	require.NoError(t, b.Start())
	t.Cleanup(b.Stop)

	testenv.Eventually(t, recoveryBound, "worker B to finish the conversation", func() bool {
		items := testenv.Do(t, hs.URL, http.MethodGet, "/v1/tickets", token, nil).Map(t)["items"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["routing_state"] == "unassigned"
	})
	t.Logf("the conversation finished %s after worker A died", time.Since(killed).Round(100*time.Millisecond))
}
