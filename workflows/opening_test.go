package workflows

import (
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

// recordUpserts records every search-attribute upsert after the first, which
// is the workflow's identity (set by the API at signal-with-start in
// production, where that upsert does not happen; the test environment does
// not pass start search attributes to the workflow).
func recordUpserts(t *testing.T, env *testsuite.TestWorkflowEnvironment) *[]temporal.SearchAttributes {
	var upserts []temporal.SearchAttributes
	identity := true
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		if identity {
			_, ok := sa.GetKeyword(ChannelIDKey)
			require.True(t, ok, "the first upsert is the identity")
			identity = false
			return
		}
		upserts = append(upserts, sa)
	}).Return(nil).Maybe()
	return &upserts
}

var openInput = activities.OpenInput{AccountID: "acc_1", ChannelID: "ch_1", ConversationID: "conv_1", MessageID: "msg_1"}

func TestOpeningIsOneActivityAndOneUpsert(t *testing.T) {
	env := newOpeningEnv(t)
	upserts := recordUpserts(t, env)
	env.OnActivity(a.OpenConversation, mock.Anything, openInput).Return(activities.Opened{
		Contact: activities.ResolvedContact{ContactID: "ct_1", IsNew: true}, Rules: vipOutcome,
		Ticket: activities.TicketCreated{TicketID: "tkt_1", Created: true, Status: "new", Routing: teamRouting, RequiredSkills: []string{"swedish"}},
		Route:  &activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_2"},
	}, nil).Once()
	signalAt(env, time.Second, "msg_1")
	signalAt(env, 2*time.Second, "msg_2") // a second message on the same thread: no second opening
	var st ConversationState
	queryState(t, env, 3*time.Second, &st)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())

	require.Equal(t, "tkt_1", st.TicketID)
	require.Equal(t, "ct_1", st.ContactID)
	require.Equal(t, domain.RoutingAssigned, st.RoutingState)
	require.Equal(t, "usr_2", st.AssigneeID)
	require.Equal(t, []string{"swedish"}, st.RequiredSkills)
	require.Equal(t, 2, st.MessageCount)
	require.Len(t, *upserts, 1, "one search-attribute upsert from the first message to assigned")
	sa := (*upserts)[0]
	ticket, _ := sa.GetKeyword(TicketIDKey)
	state, _ := sa.GetKeyword(RoutingStateKey)
	assignee, _ := sa.GetKeyword(AssigneeIDKey)
	require.Equal(t, []string{"tkt_1", domain.RoutingAssigned, "usr_2"}, []string{ticket, state, assignee})
}

func TestOpeningWaitsThenIsAssignedBySignal(t *testing.T) {
	env := newOpeningEnv(t)
	upserts := recordUpserts(t, env)
	env.OnActivity(a.OpenConversation, mock.Anything, mock.Anything).Return(activities.Opened{
		Ticket: activities.TicketCreated{TicketID: "tkt_1", Created: true, Status: "new", Routing: teamRouting},
		Route:  &activities.RouteResult{State: domain.RoutingWaitingForAgent},
	}, nil).Once()
	signalAt(env, time.Second, "msg_1")
	var waiting, done ConversationState
	queryState(t, env, 5*time.Second, &waiting)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalAgentAssigned, AgentAssigned{UserID: "usr_1"}) }, time.Minute)
	queryState(t, env, 61*time.Second, &done)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())

	require.Equal(t, domain.RoutingWaitingForAgent, waiting.RoutingState)
	require.NotNil(t, waiting.WaitUntil, "the wait for an agent has its timeout (300 s)")
	require.Equal(t, 300*time.Second, waiting.WaitUntil.Sub(*waiting.WaitingSince))
	require.Equal(t, domain.RoutingAssigned, done.RoutingState)
	require.Equal(t, "usr_1", done.AssigneeID)
	require.Nil(t, done.WaitUntil)
	require.Len(t, *upserts, 2, "waiting, then assigned")
}

// An earlier run routed the ticket (the workflow ended and a message started
// it again, or an attempt died after routing): the conversation carries on
// from the ticket and routes nothing.
func TestOpeningResumesATicketRoutedBefore(t *testing.T) {
	env := newOpeningEnv(t)
	recordUpserts(t, env)
	env.OnActivity(a.OpenConversation, mock.Anything, mock.Anything).Return(activities.Opened{
		Contact: activities.ResolvedContact{ContactID: "ct_1"},
		Ticket: activities.TicketCreated{TicketID: "tkt_1", Status: "open", Routing: teamRouting,
			ContactID: "ct_1", AssigneeID: "usr_1", RoutingState: domain.RoutingAssigned},
	}, nil).Once()
	signalAt(env, time.Second, "msg_9")
	var st ConversationState
	queryState(t, env, 2*time.Second, &st)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, "tkt_1", st.TicketID)
	require.Equal(t, domain.RoutingAssigned, st.RoutingState)
	require.Equal(t, "usr_1", st.AssigneeID)
}

func TestOpeningFailsOnAPermanentError(t *testing.T) {
	env := newOpeningEnv(t)
	env.OnActivity(a.OpenConversation, mock.Anything, mock.Anything).
		Return(activities.Opened{}, temporal.NewNonRetryableApplicationError("channel gone", activities.ErrTypeNotFound, errors.New("gone"))).Once()
	signalAt(env, time.Second, "msg_1")
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.ErrorContains(t, env.GetWorkflowError(), "open conversation")
}
