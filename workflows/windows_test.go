package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// windowedEnv is a conversation on a channel of the given type whose ticket is assigned.
func windowedEnv(t *testing.T, channelType string) (*testsuite.TestWorkflowEnvironment, ConversationInput, *[]string) {
	env := newEnv(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"})
	env.OnActivity(a.Welcome, mock.Anything, mock.Anything).Return(nil).Maybe()
	env.OnActivity(a.StoreReply, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.ReplyInput) (activities.ReplySent, error) {
		return activities.ReplySent{MessageID: "m-" + r.ReplyID, Tag: r.Tag, Status: domain.MessageQueued}, nil
	}).Maybe()
	var windows []string
	env.OnActivity(a.SetReplyWindow, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ReplyWindowInput) error {
		windows = append(windows, in.Window.State)
		return nil
	}).Maybe()
	in := input
	in.ChannelType = channelType
	in.IdleTimeout = 30 * 24 * time.Hour
	return env, in, &windows
}

type replyOutcome struct {
	tag string
	err error
}

// replyAt sends a reply update at a moment and records what became of it.
func replyAt(env *testsuite.TestWorkflowEnvironment, at time.Duration, id, author string, out *replyOutcome) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateReply, id, &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { out.err = err },
			OnComplete: func(v any, err error) {
				if err != nil {
					out.err = err
					return
				}
				out.tag = v.(ReplyResult).Tag
			},
		}, ReplyRequest{AuthorUserID: author, Text: "hello"})
	}, at)
}

func TestMessengerReplyWindows(t *testing.T) {
	env, in, windows := windowedEnv(t, "messenger")
	env.OnActivity(a.SendReply, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.ReplyInput) (activities.ReplySent, error) {
		return activities.ReplySent{MessageID: "m-" + r.ReplyID, Tag: r.Tag, Status: domain.MessageQueued}, nil
	})
	signalAt(env, time.Second, "msg_1")
	var inOpen, humanByAgent, humanAutomated, closed, reopened replyOutcome
	replyAt(env, time.Hour, "r1", "", &inOpen)               // automated, inside 24 h
	replyAt(env, 30*time.Hour, "r2", "usr_1", &humanByAgent) // a human, 24 h – 7 d
	replyAt(env, 31*time.Hour, "r3", "", &humanAutomated)    // automated, 24 h – 7 d
	replyAt(env, 8*24*time.Hour, "r4", "usr_1", &closed)     // after 7 d
	signalAt(env, 9*24*time.Hour, "msg_2")                   // the customer writes again
	replyAt(env, 9*24*time.Hour+time.Minute, "r5", "", &reopened)
	var at30h, at8d ConversationState
	queryState(t, env, 30*time.Hour, &at30h)
	queryState(t, env, 8*24*time.Hour, &at8d)
	env.ExecuteWorkflow(ConversationWorkflow, in)
	require.NoError(t, env.GetWorkflowError())

	require.NoError(t, inOpen.err)
	require.Equal(t, "", inOpen.tag, "inside 24 h replies go out as RESPONSE")
	require.NoError(t, humanByAgent.err)
	require.Equal(t, TagHumanAgent, humanByAgent.tag)
	require.NoError(t, humanAutomated.err)
	require.Equal(t, TagSuppressed, humanAutomated.tag, "automated replies in the human-agent window are recorded as suppressed, not sent")
	require.ErrorContains(t, closed.err, "reply window closed")
	require.NoError(t, reopened.err, "a new customer message re-opens the window")
	require.Equal(t, domain.WindowHumanAgentOnly, at30h.ReplyWindow)
	require.Equal(t, domain.WindowClosed, at8d.ReplyWindow)
	require.Equal(t, at30h.OpenUntil.Add(-24*time.Hour).Add(7*24*time.Hour), *at30h.HumanAgentUntil)
	require.Equal(t, []string{domain.WindowOpen, domain.WindowHumanAgentOnly, domain.WindowClosed, domain.WindowOpen, domain.WindowHumanAgentOnly, domain.WindowClosed}, *windows)
}

func TestWhatsAppWindowNeedsTemplateAfter24Hours(t *testing.T) {
	env, in, windows := windowedEnv(t, "whatsapp")
	env.OnActivity(a.SendReply, mock.Anything, mock.Anything).Return(activities.ReplySent{MessageID: "m", Status: domain.MessageQueued}, nil)
	signalAt(env, time.Second, "msg_1")
	var inside, outside, template replyOutcome
	replyAt(env, 23*time.Hour, "r1", "usr_1", &inside)
	replyAt(env, 25*time.Hour, "r2", "usr_1", &outside)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateReply, "r3", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { template.err = err }, OnComplete: func(_ any, err error) { template.err = err },
		}, ReplyRequest{AuthorUserID: "usr_1", Template: &activities.Template{Name: "order_update", Language: "en_US"}})
	}, 26*time.Hour)
	env.ExecuteWorkflow(ConversationWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, inside.err)
	require.ErrorContains(t, outside.err, "template")
	require.NoError(t, template.err, "an approved template goes out after the window")
	require.Equal(t, []string{domain.WindowOpen, domain.WindowClosed}, *windows)
}

func TestChatHasNoReplyWindow(t *testing.T) {
	env, in, windows := windowedEnv(t, "chat")
	env.OnActivity(a.SendReply, mock.Anything, mock.Anything).Return(activities.ReplySent{MessageID: "m", Status: domain.MessageSent}, nil)
	signalAt(env, time.Second, "msg_1")
	var late replyOutcome
	replyAt(env, 20*24*time.Hour, "r1", "", &late)
	env.ExecuteWorkflow(ConversationWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, late.err)
	require.Empty(t, *windows)
}
