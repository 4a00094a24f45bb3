package server_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/workflows"
)

// downTemporal refuses to start workflows as an unreachable Temporal would, while down is set.
type downTemporal struct {
	client.Client
	down   atomic.Bool
	starts atomic.Int64
}

func (d *downTemporal) ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error) {
	d.starts.Add(1)
	if d.down.Load() {
		return nil, serviceerror.NewUnavailable("temporal is down")
	}
	return d.Client.ExecuteWorkflow(ctx, options, workflow, args...)
}

// TestChannellessTicketRoutedAfterTemporalOutage: a channel-less ticket to route is stored and
// answered 201 while Temporal is unreachable; the redrive loop starts its routing once it is back.
func TestChannellessTicketRoutedAfterTemporalOutage(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	agent := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "a@acme.test", "availability": "available"})
	require.Equal(t, http.StatusCreated, agent.Status, string(agent.Body))
	agentID := agent.Map(t)["id"].(string)

	tc := &downTemporal{Client: s.Temporal}
	tc.down.Store(true)
	api := server.New(s.Store, tc, server.Config{ConversationIDs: testenv.ConversationIDs(t), TaskQueue: workflows.DefaultTaskQueue, RedriveMaxAttempts: 20,
		RedriveBackoff: 20 * time.Millisecond, RedriveMaxBackoff: 100 * time.Millisecond}, quietLog(), nil, nil)
	hs := httptestServer(t, api)
	r := testenv.Do(t, hs, http.MethodPost, "/v1/tickets", token, map[string]any{"subject": "Stored first",
		"contact": map[string]any{"email": "gus@example.com"}, "route": true,
		"routing": map[string]any{"assign_to": "users_and_teams", "users": []string{agentID}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	id := r.Map(t)["id"].(string)
	require.Equal(t, "routing", r.Map(t)["routing_state"])
	require.EqualValues(t, 1, tc.starts.Load(), "the request tried to start the routing")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go api.Redrive(ctx, 50*time.Millisecond, 0)
	testenv.Eventually(t, 10*time.Second, "the redrive loop retrying", func() bool { return tc.starts.Load() >= 3 })
	require.Equal(t, "routing", testenv.Do(t, hs, http.MethodGet, "/v1/tickets/"+id, token, nil).Map(t)["routing_state"])

	tc.down.Store(false)
	testenv.Eventually(t, 20*time.Second, "the ticket routed after the outage", func() bool {
		tk := testenv.Do(t, hs, http.MethodGet, "/v1/tickets/"+id, token, nil).Map(t)
		return tk["routing_state"] == "assigned" && assignee(tk) == agentID
	})
}
