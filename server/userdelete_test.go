package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestDeletedUserLeavesNoStaleAssigneeInTemporal: deleting a user unassigns
// their tickets in PostgreSQL and in the conversations' AssigneeId and
// RoutingState search attributes, as the visibility API shows.
func TestDeletedUserLeavesNoStaleAssigneeInTemporal(t *testing.T) {
	d := newDesk(t)
	leaving := d.user("leaving@acme.test", nil)
	ch := d.channel(map[string]any{"assign_to": "none"})
	d.message(ch, "del", map[string]any{"email": "del@x.test"})
	tk := d.ticketOf(ch, "del", "unassigned")
	id, wid := tk["id"].(string), tk["workflow_id"].(string)
	r := d.s.Do(http.MethodPatch, "/v1/tickets/"+id, d.token, map[string]any{"assignee": map[string]any{"user_id": leaving}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))

	ctx := context.Background()
	byAssignee := func() []string {
		res, err := d.s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("AssigneeId = '%s'", leaving)})
		require.NoError(t, err)
		var ids []string
		for _, e := range res.Executions {
			ids = append(ids, e.Execution.WorkflowId)
		}
		return ids
	}
	testenv.Eventually(t, 10*time.Second, "the assignee in the visibility store", func() bool { return len(byAssignee()) == 1 })

	r = d.s.Do(http.MethodDelete, "/v1/users/"+leaving, d.token, nil)
	require.Equal(t, http.StatusNoContent, r.Status, string(r.Body))
	got := d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)
	require.Nil(t, assignee(got))
	require.Equal(t, "unassigned", got["routing_state"])

	testenv.Eventually(t, 10*time.Second, "the deleted user's AssigneeId to leave the workflow", func() bool { return len(byAssignee()) == 0 })
	res, err := d.s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = '%s' AND RoutingState = 'unassigned' AND AssigneeId IS NULL", wid)})
	require.NoError(t, err)
	require.Len(t, res.Executions, 1, "the workflow's routing state follows")
	v, err := d.s.Temporal.QueryWorkflow(ctx, wid, "", "state")
	require.NoError(t, err)
	var st map[string]any
	require.NoError(t, v.Get(&st))
	require.Empty(t, st["assignee_id"])
}
