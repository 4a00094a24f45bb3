package workflows

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// TestReplyWithFilesOnly: a reply of files without text is accepted, and only the uploads' ids
// reach the activity that stores it; its delivery names the stored message alone.
func TestReplyWithFilesOnly(t *testing.T) {
	env := newEnvDurableReplies(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"})
	var stored activities.ReplyInput
	env.OnActivity(a.StoreReply, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ReplyInput) (activities.ReplySent, error) {
		stored = in
		return activities.ReplySent{MessageID: "msg_out", Status: domain.MessageQueued}, nil
	}).Once()
	env.OnActivity(a.DeliverReply, mock.Anything, mock.Anything).Return(activities.ReplySent{MessageID: "msg_out", Status: domain.MessageSent}, nil).Once()
	signalAt(env, time.Second, "msg_1")
	var result ReplyResult
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateReply, "upd-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("rejected: %v", err) },
			OnComplete: func(v any, err error) { require.NoError(t, err); result = v.(ReplyResult) },
		}, ReplyRequest{AuthorUserID: "usr_1", Attachments: []string{"upl_1", "upl_2"}})
	}, 2*time.Second)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, domain.MessageSent, result.Status)
	require.True(t, slices.Equal(stored.Attachments, []string{"upl_1", "upl_2"}), "%v", stored.Attachments)
}
