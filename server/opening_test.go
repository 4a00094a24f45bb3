package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/routedesk/routedesk/internal/testenv"
)

// A chat message assigned at once costs the workflow fifteen history events up
// to the search-attribute upsert that shows it assigned: the start with its
// signal, one workflow task in which the opening runs as a local activity,
// five version markers (lifecycle, sla, csat, open-at-once, ops-view; each with the
// SDK's TemporalChangeVersion upsert), the activity's marker and one upsert of
// ticket id, routing state and assignee. No timer is started and cancelled on
// the way, and no extra workflow task. (Issue 14's target was ≤ 12: the version
// markers of the lifecycle, SLA and CSAT changes are what is over it.)
func TestOpeningHistoryFromFirstMessageToAssigned(t *testing.T) {
	d := newDesk(t)
	agent := d.user("one@acme.test", nil)
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{agent}})
	d.message(ch, "a", map[string]any{"email": "a@x.test"})
	tk := d.ticketOf(ch, "a", "assigned")
	require.Equal(t, agent, assignee(tk))

	want := []enumspb.EventType{
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
		enumspb.EVENT_TYPE_MARKER_RECORDED,                   // version lifecycle, decided as the run starts
		enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, // TemporalChangeVersion
		enumspb.EVENT_TYPE_MARKER_RECORDED,                   // version sla, decided as the run starts
		enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, // TemporalChangeVersion
		enumspb.EVENT_TYPE_MARKER_RECORDED,                   // version csat, decided as the run starts
		enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, // TemporalChangeVersion
		enumspb.EVENT_TYPE_MARKER_RECORDED,                   // version open-at-once
		enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, // TemporalChangeVersion
		enumspb.EVENT_TYPE_MARKER_RECORDED,                   // OpenConversation's result
		enumspb.EVENT_TYPE_MARKER_RECORDED,                   // version ops-view
		enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, // TemporalChangeVersion
		enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, // ticket, routing state, assignee, ticket status
	}
	var got []enumspb.EventType
	// The database shows the assignment before the workflow task that ran the opening completes.
	testenv.Eventually(t, 20*time.Second, "the workflow to record the assignment", func() bool {
		got = nil
		it := d.s.Temporal.GetWorkflowHistory(context.Background(), tk["workflow_id"].(string), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() && len(got) < len(want) {
			ev, err := it.Next()
			require.NoError(t, err)
			got = append(got, ev.GetEventType())
			if len(got) == len(want) {
				sa := ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
				require.Contains(t, string(sa["RoutingState"].GetData()), "assigned")
			}
		}
		return len(got) == len(want)
	})
	require.Equal(t, want, got)
}
