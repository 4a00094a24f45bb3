package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// replyNow sends a reply update at a moment and records what became of it and when it answered.
func replyNow(env *testsuite.TestWorkflowEnvironment, at time.Duration, id string, res *ReplyResult, err *error, sentAt, answeredAt *time.Time) {
	env.RegisterDelayedCallback(func() {
		*sentAt = env.Now()
		env.UpdateWorkflow(UpdateReply, id, &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(e error) { *err = e },
			OnComplete: func(v any, e error) {
				*answeredAt = env.Now()
				if e != nil {
					*err = e
					return
				}
				*res = v.(ReplyResult)
			},
		}, ReplyRequest{AuthorUserID: "usr_1", Text: "hello"})
	}, at)
}

// TestReplyAnswersQueuedWhileItsSendRetries: a channel that never answers
// (its outbound_url unreachable) no longer holds the reply update: it answers
// "queued" within ReplyWait, the send retries up to SendAttempts, and then the
// reply is marked failed with the last error as the reason.
func TestReplyAnswersQueuedWhileItsSendRetries(t *testing.T) {
	env := newEnv(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"})
	env.OnActivity(a.StoreReply, mock.Anything, mock.Anything).Return(activities.ReplySent{MessageID: "msg_out", Status: domain.MessageQueued}, nil).Once()
	attempts := 0
	env.OnActivity(a.SendReply, mock.Anything, mock.Anything).Return(func(context.Context, activities.ReplyInput) (activities.ReplySent, error) {
		attempts++
		return activities.ReplySent{}, errors.New("post reply to Portal: dial tcp 10.255.255.1:443: connect: connection timed out")
	})
	var failed activities.FailReplyInput
	env.OnActivity(a.FailReply, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.FailReplyInput) error {
		failed = in
		return nil
	}).Once()
	signalAt(env, time.Second, "msg_1")
	var res ReplyResult
	var replyErr error
	var sentAt, answeredAt time.Time
	replyNow(env, 2*time.Second, "upd-1", &res, &replyErr, &sentAt, &answeredAt)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())

	require.NoError(t, replyErr)
	require.Equal(t, ReplyResult{MessageID: "msg_out", Status: domain.MessageQueued}, res)
	require.LessOrEqual(t, answeredAt.Sub(sentAt), ReplyWait+time.Second, "the update answers within ReplyWait")
	require.Equal(t, SendAttempts, attempts, "the send is retried up to its bound, no more")
	require.Equal(t, "msg_out", failed.MessageID)
	require.Contains(t, failed.Reason, "connection timed out", "the reply is marked failed with the last error")
}

// TestRefusedReplyAnswersAtOnce: a channel's refusal (here Meta's
// outside-window error) still answers the update with the error, and the reply
// is not marked failed a second time.
func TestRefusedReplyAnswersAtOnce(t *testing.T) {
	env := newEnv(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"})
	env.OnActivity(a.StoreReply, mock.Anything, mock.Anything).Return(activities.ReplySent{MessageID: "msg_out", Status: domain.MessageQueued}, nil).Once()
	env.OnActivity(a.SendReply, mock.Anything, mock.Anything).
		Return(activities.ReplySent{}, temporal.NewNonRetryableApplicationError("outside the window", activities.ErrTypeOutsideWindow, nil)).Once()
	signalAt(env, time.Second, "msg_1")
	var res ReplyResult
	var replyErr error
	var sentAt, answeredAt time.Time
	replyNow(env, 2*time.Second, "upd-1", &res, &replyErr, &sentAt, &answeredAt)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, replyErr, &appErr)
	require.ErrorContains(t, replyErr, "outside the window")
	env.AssertNotCalled(t, "FailReply", mock.Anything, mock.Anything)
}

// TestCourtesyMessagesDoNotHoldUpTheConversation: with the Graph API down the
// Messenger instant reply keeps failing, yet the ticket is routed and its reply
// window opens at once; once its bounded retries run out the automated
// messages are marked failed, and the workflow settles them before it ends.
func TestCourtesyMessagesDoNotHoldUpTheConversation(t *testing.T) {
	env := newEnv(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"})
	env.OnActivity(a.SetReplyWindow, mock.Anything, mock.Anything).Return(nil)
	welcomes := 0
	env.OnActivity(a.Welcome, mock.Anything, mock.Anything).Return(func(context.Context, activities.WelcomeInput) error {
		welcomes++
		return errors.New("send welcome:instant-reply: graph: HTTP 503: try later")
	})
	var failed activities.FailWelcomeInput
	env.OnActivity(a.FailWelcome, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.FailWelcomeInput) error {
		failed = in
		return nil
	}).Once()
	in := input
	in.ChannelType = "messenger"
	signalAt(env, time.Second, "msg_1")
	var early ConversationState
	queryState(t, env, 2*time.Second, &early)
	env.ExecuteWorkflow(ConversationWorkflow, in)
	require.NoError(t, env.GetWorkflowError())

	require.Equal(t, domain.RoutingAssigned, early.RoutingState, "routing does not wait for the instant reply")
	require.Equal(t, domain.WindowOpen, early.ReplyWindow, "the reply window opens without waiting for it")
	require.Equal(t, CourtesyAttempts, welcomes)
	require.Equal(t, "conv_1", failed.ConversationID)
	require.Contains(t, failed.Reason, "HTTP 503")
}
