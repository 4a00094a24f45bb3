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

var teamRouting = domain.Routing{AssignTo: domain.AssignUsersAndTeams, Users: []string{"usr_1", "usr_2"}, TimeoutSeconds: 300}

// openedTicket mocks the opening of a users_and_teams channel's conversation (one local
// activity: contact, rules, ticket) whose routing answered route.
func openedTicket(env *testsuite.TestWorkflowEnvironment, route activities.RouteResult) {
	openedWith(env, activities.TicketCreated{TicketID: "tkt_1", Created: true, Status: "new", Routing: teamRouting}, route)
}

// openedWith mocks the opening of a conversation that creates ticket and routes it to route.
func openedWith(env *testsuite.TestWorkflowEnvironment, ticket activities.TicketCreated, route activities.RouteResult) {
	env.OnActivity(a.OpenConversation, mock.Anything, mock.Anything).Return(activities.Opened{
		Contact: activities.ResolvedContact{ContactID: "ct_1"}, Rules: vipOutcome, Ticket: ticket, Route: &route,
	}, nil).Once()
}

func queryState(t *testing.T, env *testsuite.TestWorkflowEnvironment, at time.Duration, into *ConversationState) {
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(into))
	}, at)
}

func TestAssignsAtOnceWhenAnAgentIsFree(t *testing.T) {
	env := newEnv(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_2"})
	signalAt(env, time.Second, "msg_1")
	var st ConversationState
	queryState(t, env, 2*time.Second, &st)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, domain.RoutingAssigned, st.RoutingState)
	require.Equal(t, "usr_2", st.AssigneeID)
	require.Nil(t, st.WaitingSince)
}

func TestWaitingTicketIsAssignedBySignal(t *testing.T) {
	env := newEnv(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingWaitingForAgent})
	signalAt(env, time.Second, "msg_1")
	var waiting, done ConversationState
	queryState(t, env, 5*time.Second, &waiting)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalAgentAssigned, AgentAssigned{UserID: "usr_1"}) }, 60*time.Second)
	queryState(t, env, 61*time.Second, &done)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, domain.RoutingWaitingForAgent, waiting.RoutingState)
	require.NotNil(t, waiting.WaitingSince)
	require.Equal(t, waiting.WaitingSince.Add(300*time.Second), *waiting.WaitUntil)
	require.Equal(t, domain.RoutingAssigned, done.RoutingState)
	require.Equal(t, "usr_1", done.AssigneeID)
	env.AssertNotCalled(t, "StopWaiting", mock.Anything, mock.Anything)
}

func TestWaitTimesOutToUnassigned(t *testing.T) {
	env := newEnv(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingWaitingForAgent})
	var stoppedAt time.Time
	env.OnActivity(a.StopWaiting, mock.Anything, activities.TicketRef{AccountID: "acc_1", TicketID: "tkt_1"}).
		Run(func(mock.Arguments) { stoppedAt = env.Now() }).Return("", nil).Once()
	signalAt(env, time.Second, "msg_1")
	var after ConversationState
	queryState(t, env, 400*time.Second, &after)
	start := env.Now()
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.WithinDuration(t, start.Add(301*time.Second), stoppedAt, time.Second, "the channel's timeout_seconds after the wait began")
	require.Equal(t, domain.RoutingUnassigned, after.RoutingState)
	require.Empty(t, after.AssigneeID)
	require.Nil(t, after.WaitUntil)
}

func TestTimeoutLosesToAConcurrentDispatch(t *testing.T) {
	env := newEnv(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingWaitingForAgent})
	env.OnActivity(a.StopWaiting, mock.Anything, mock.Anything).Return("usr_2", nil).Once()
	signalAt(env, time.Second, "msg_1")
	var after ConversationState
	queryState(t, env, 400*time.Second, &after)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, domain.RoutingAssigned, after.RoutingState)
	require.Equal(t, "usr_2", after.AssigneeID)
}

func TestReplyUpdate(t *testing.T) {
	env := newEnvDurableReplies(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"})
	env.OnActivity(a.StoreReply, mock.Anything, mock.MatchedBy(func(in activities.ReplyInput) bool {
		return in.ReplyID == "upd-1" && in.Text == "On its way!" && in.AuthorUserID == "usr_1" && in.TicketID == "tkt_1" && in.ChannelType == "chat"
	})).Return(activities.ReplySent{MessageID: "msg_out", Status: domain.MessageQueued}, nil).Once()
	// The stored reply is sent by its own DeliveryWorkflow beside the conversation.
	var delivered activities.DeliveryInput
	env.OnActivity(a.DeliverReply, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeliveryInput) (activities.ReplySent, error) {
		delivered = in
		return activities.ReplySent{MessageID: "msg_out", Status: domain.MessageSent}, nil
	}).Once()
	signalAt(env, time.Second, "msg_1")
	var rejected error
	var result ReplyResult
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateReply, "upd-0", &testsuite.TestUpdateCallback{
			OnAccept: func() { t.Error("an empty reply was accepted") }, OnReject: func(err error) { rejected = err }, OnComplete: func(any, error) {},
		}, ReplyRequest{AuthorUserID: "usr_1", Text: "  "})
		env.UpdateWorkflow(UpdateReply, "upd-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("rejected: %v", err) },
			OnComplete: func(v any, err error) { require.NoError(t, err); result = v.(ReplyResult) },
		}, ReplyRequest{AuthorUserID: "usr_1", Text: "On its way!"})
	}, 2*time.Second)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.ErrorContains(t, rejected, "needs text or html")
	require.Equal(t, "msg_out", result.MessageID)
	require.Equal(t, domain.MessageSent, result.Status, "a send done within ReplyWait answers with its status")
	require.Equal(t, "msg_out", delivered.MessageID)
	require.Equal(t, "chat", delivered.ChannelType)
}

func TestReplyBeforeTicketIsRejected(t *testing.T) {
	env := newEnv(t)
	var rejected error
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateReply, "u", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { rejected = err }, OnComplete: func(any, error) {},
		}, ReplyRequest{Text: "hi"})
	}, time.Second)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.ErrorIs(t, rejected, ErrNoTicket)
}

func TestClosingFreesCapacityAndFollowUpPrefersPreviousAgent(t *testing.T) {
	env := newEnv(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"})
	closed := "closed"
	env.OnActivity(a.ChangeTicket, mock.Anything, activities.ChangeInput{AccountID: "acc_1", TicketID: "tkt_1", Status: &closed}).
		Return(activities.ChangeResult{Status: "closed", AssigneeID: "usr_1", State: domain.RoutingAssigned, Freed: "usr_1"}, nil).Once()
	env.OnActivity(a.Dispatch, mock.Anything, activities.AgentRef{AccountID: "acc_1", UserID: "usr_1"}).
		Return([]activities.Dispatched{{TicketID: "tkt_9", WorkflowID: "conv:ch_1:other", UserID: "usr_1"}}, nil).Once()
	env.OnSignalExternalWorkflow(mock.Anything, "conv:ch_1:other", "", SignalAgentAssigned, AgentAssigned{UserID: "usr_1"}).Return(nil).Once()
	env.OnActivity(a.OpenFollowUp, mock.Anything, activities.FollowUpInput{AccountID: "acc_1", TicketID: "tkt_1", MessageID: "msg_2"}).
		Return(activities.FollowUpOpened{TicketID: "tkt_2", Status: "new", PreviousAssignee: "usr_1", Created: true}, nil).Once()
	env.OnActivity(a.Route, mock.Anything, mock.MatchedBy(func(in activities.RouteInput) bool { return in.PreferUser == "usr_1" && in.TicketID == "tkt_2" })).
		Return(activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"}, nil).Once()

	signalAt(env, time.Second, "msg_1")
	var changed ChangeResult
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateChange, "c1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("rejected: %v", err) },
			OnComplete: func(v any, err error) { require.NoError(t, err); changed = v.(ChangeResult) },
		}, ChangeRequest{Status: &closed})
	}, 2*time.Second)
	var afterClose, afterReopen ConversationState
	queryState(t, env, 3*time.Second, &afterClose)
	signalAt(env, time.Hour, "msg_2")
	queryState(t, env, time.Hour+time.Second, &afterReopen)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, "closed", changed.Status)
	require.Equal(t, "closed", afterClose.Status)
	require.Equal(t, "tkt_2", afterReopen.TicketID, "the closed ticket stays closed; the message opens its follow-up")
	require.Equal(t, "new", afterReopen.Status)
	require.Equal(t, "usr_1", afterReopen.AssigneeID)
}

func TestUnavailableOwnerIsEmailedWhileTheTicketWaits(t *testing.T) {
	env := newEnv(t)
	openedWith(env, activities.TicketCreated{TicketID: "tkt_1", Created: true, Status: "new", Routing: domain.Routing{AssignTo: domain.AssignContactOwner}},
		activities.RouteResult{State: domain.RoutingWaitingForAgent, OwnerUnavailable: "usr_owner"})
	env.OnActivity(a.NotifyOwner, mock.Anything, activities.NotifyOwnerInput{AccountID: "acc_1", TicketID: "tkt_1", OwnerUserID: "usr_owner"}).
		Return(nil).Once()
	signalAt(env, time.Second, "msg_1")
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalAgentAssigned, AgentAssigned{UserID: "usr_owner"}) }, time.Minute)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
}
