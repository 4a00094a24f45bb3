package main

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/workflows"
)

func TestVersionsQuery(t *testing.T) {
	require.Equal(t, `WorkflowType = "ConversationWorkflow" AND ExecutionStatus = "Running" AND (TemporalChangeVersion IS NULL OR TemporalChangeVersion NOT IN ("reply-window-1")) AND (ChannelType IN ("messenger", "whatsapp"))`,
		versionsQuery(workflows.Change{ID: "reply-window", Version: 1, Scope: `ChannelType IN ("messenger", "whatsapp")`}))
}

// TestVersionsCountsRunsThatPredateAChange counts, against the embedded Temporal server, a
// conversation of this release (it carries the markers of the changes it reached) and a run of
// older code: a ConversationWorkflow on a queue of its own that never calls GetVersion, as code
// from before every change did. The old run predates each change whose scope it is in; the new
// one only the changes it has not reached yet; no open run predates a change reached at the end.
func TestVersionsCountsRunsThatPredateAChange(t *testing.T) {
	s := testenv.NewStack(t)
	ctx := context.Background()
	_, token := s.Account("Acme", "enterprise")
	ch := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "chat", "name": "Shop chat"})
	require.Equal(t, http.StatusCreated, ch.Status, string(ch.Body))
	r := s.Do(http.MethodPost, "/v1/channels/"+ch.Map(t)["id"].(string)+"/messages", token, map[string]any{"external_id": "v-1", "thread_id": "v", "text": "hello"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))

	old := sdkworker.New(s.Temporal, "release-before-every-change", sdkworker.Options{})
	old.RegisterWorkflowWithOptions(func(ctx workflow.Context) error {
		return workflow.Await(ctx, func() bool { return false })
	}, workflow.RegisterOptions{Name: "ConversationWorkflow"})
	require.NoError(t, old.Start())
	t.Cleanup(old.Stop)
	_, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "conv:old-release", TaskQueue: "release-before-every-change",
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.ChannelTypeKey.ValueSet("messenger"))}, "ConversationWorkflow")
	require.NoError(t, err)

	// A run of this release that idles out reaches drain-before-end as it ends, and records it.
	idler, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "conv:idles-out", TaskQueue: workflows.DefaultTaskQueue},
		workflows.ConversationWorkflow, workflows.ConversationInput{AccountID: "acc_1", ChannelID: "ch_1", ChannelType: "chat",
			ConversationID: "cv_1", IdleTimeout: time.Second, State: &workflows.ConversationState{ConversationID: "cv_1",
				TicketID: "tkt_1", RoutingState: domain.RoutingUnassigned, ReplyWindow: domain.WindowNone, Status: "open"}})
	require.NoError(t, err)
	require.NoError(t, idler.Get(ctx, nil))
	testenv.RecordHistory(t, s.Temporal, "conv:idles-out", "conversation_idled_out")

	want := map[string]string{
		"open-at-once":     "1", // the old run; the new one opened at once
		"ops-view":         "1",
		"reply-window":     "1", // the old run is a Messenger conversation; the chat one never reaches it
		"welcome":          "1",
		"ticket-only":      "0", // neither is a ticket's own workflow
		"durable-reply":    "2", // nobody replied yet: the new run has not reached it either
		"drain-before-end": "0",
	}
	var out bytes.Buffer
	got := map[string]string{}
	testenv.Eventually(t, 15*time.Second, "the counts of both runs", func() bool {
		out.Reset()
		require.NoError(t, countVersions(ctx, s.Temporal, workflows.Changes, &out))
		for _, line := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(line); len(f) >= 4 {
				got[f[0]] = f[3]
			}
		}
		for id, n := range want {
			if got[id] != n {
				return false
			}
		}
		return true
	})
	require.Contains(t, out.String(), "drain-before-end  2026-11-26  retired  0 (reached only as a run ends)")
	require.Contains(t, out.String(), `open-at-once: WorkflowType = "ConversationWorkflow" AND ExecutionStatus = "Running" AND (TemporalChangeVersion IS NULL OR TemporalChangeVersion NOT IN ("open-at-once-1"))`)
	_, err = strconv.Atoi(got["assignment"])
	require.NoError(t, err, out.String())
}
