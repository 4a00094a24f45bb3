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
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

var input = ConversationInput{
	AccountID: "acc_1", ChannelID: "ch_1", ChannelType: "chat", ChannelName: "Website chat",
	ConversationID: "conv_1", IdleTimeout: time.Hour,
}

// newEnv runs a conversation as it ran before changeOpenAtOnce: contact,
// rules, ticket and route as four activities (histories of that shape keep
// replaying, and these tests keep that path working); newOpeningEnv runs it
// as it starts now.
func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	return oneShotReplies(newEnvDurableReplies(t))
}

// newEnvDurableReplies is newEnv with replies as they are sent now: stored, then delivered by a DeliveryWorkflow.
func newEnvDurableReplies(t *testing.T) *testsuite.TestWorkflowEnvironment {
	env := newOpeningEnv(t)
	env.OnGetVersion(changeOpenAtOnce, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion).Maybe()
	return env
}

// oneShotReplies runs replies as before changeDurableReply (SendReply with bounded retries, then
// FailReply): histories of that shape keep replaying, and the tests that use it keep that path working.
func oneShotReplies(env *testsuite.TestWorkflowEnvironment) *testsuite.TestWorkflowEnvironment {
	env.OnGetVersion(changeDurableReply, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion).Maybe()
	return env
}

// newOpeningEnv runs a conversation as it starts now: its opening is one local activity.
func newOpeningEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	env := newBareEnv(t)
	// No SLA policy applies unless a test says otherwise (sla_test.go).
	env.OnActivity(a.ChooseSLA, mock.Anything, mock.Anything).Return(activities.SLAChoice{}, nil).Maybe()
	return env
}

// newBareEnv is newOpeningEnv without the SLA choice's answer.
func newBareEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ConversationWorkflow)
	env.RegisterWorkflowWithOptions(DeliveryWorkflow, workflow.RegisterOptions{Name: DeliveryWorkflowName})
	env.RegisterActivity(&activities.Activities{})
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

var vipOutcome = activities.RulesOutcome{RuleSetVersion: 7, Matched: []string{"rule_vip"},
	Properties: map[string]any{"priority": "high"}, RequiredSkills: []string{"swedish"}}

// expectRules makes the rules activity answer vipOutcome.
func expectRules(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(a.EvaluateRules, mock.Anything, mock.Anything).Return(vipOutcome, nil)
}

func signalAt(env *testsuite.TestWorkflowEnvironment, after time.Duration, messageID string) {
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalInboundMessage, InboundMessage{MessageID: messageID})
	}, after)
}

func TestConversationCreatesOneTicketAndIgnoresRedelivery(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.UpsertContact, mock.Anything, activities.UpsertContactInput{AccountID: "acc_1", ChannelID: "ch_1", MessageID: "msg_1"}).
		Return(activities.ResolvedContact{ContactID: "ct_1", IsNew: true}, nil).Once()
	env.OnActivity(a.EvaluateRules, mock.Anything, activities.EvaluateRulesInput{
		AccountID: "acc_1", ChannelID: "ch_1", MessageID: "msg_1", ContactID: "ct_1", ContactIsNew: true,
	}).Return(vipOutcome, nil).Once()
	env.OnActivity(a.CreateTicket, mock.Anything, activities.CreateTicketInput{
		AccountID: "acc_1", ChannelID: "ch_1", ConversationID: "conv_1", ContactID: "ct_1", MessageID: "msg_1",
		Rules: &vipOutcome,
	}).Return(activities.TicketCreated{TicketID: "tkt_1", Created: true, Routing: domain.Routing{AssignTo: domain.AssignNone}}, nil).Once()
	env.OnActivity(a.Route, mock.Anything, activities.RouteInput{AccountID: "acc_1", TicketID: "tkt_1", ContactID: "ct_1",
		Routing: domain.Routing{AssignTo: domain.AssignNone}, RequiredSkills: []string{"swedish"}}).
		Return(activities.RouteResult{State: domain.RoutingUnassigned}, nil).Once()

	signalAt(env, time.Second, "msg_1")
	signalAt(env, 2*time.Second, "msg_1") // redelivered by the redrive loop
	signalAt(env, 3*time.Second, "msg_2") // a second message on the same thread
	var mid ConversationState
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&mid))
	}, 4*time.Second)

	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError(), "an idle conversation ends cleanly")

	require.Equal(t, "tkt_1", mid.TicketID)
	require.Equal(t, "ct_1", mid.ContactID)
	require.Equal(t, domain.RoutingUnassigned, mid.RoutingState)
	require.Equal(t, 2, mid.MessageCount, "the redelivered message is not counted twice")
	require.Equal(t, []string{"msg_1", "msg_2"}, mid.Seen)
}

func TestConversationSetsSearchAttributes(t *testing.T) {
	env := newEnv(t)
	expectRules(env)
	env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(activities.ResolvedContact{ContactID: "ct_1"}, nil)
	env.OnActivity(a.CreateTicket, mock.Anything, mock.Anything).Return(activities.TicketCreated{TicketID: "tkt_9"}, nil)
	env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(activities.RouteResult{State: domain.RoutingUnassigned}, nil)
	env.OnUpsertTypedSearchAttributes(temporal.NewSearchAttributes(
		ChannelTypeKey.ValueSet("chat"), ChannelIDKey.ValueSet("ch_1"), AccountIDKey.ValueSet("acc_1"),
		RoutingStateKey.ValueSet(domain.RoutingRouting),
	)).Return(nil).Once()
	env.OnUpsertTypedSearchAttributes(temporal.NewSearchAttributes(TicketIDKey.ValueSet("tkt_9"))).Return(nil).Once()
	env.OnUpsertTypedSearchAttributes(temporal.NewSearchAttributes(RoutingStateKey.ValueSet(domain.RoutingUnassigned), AssigneeIDKey.ValueUnset(),
		WaitingSinceKey.ValueUnset())).Return(nil).Once()
	signalAt(env, time.Second, "msg_1")
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
}

func TestConversationWithoutContactIdentityStillGetsATicket(t *testing.T) {
	env := newEnv(t)
	expectRules(env)
	env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).
		Return(activities.ResolvedContact{}, temporal.NewNonRetryableApplicationError("no identity", activities.ErrTypeInvalid, nil)).Once()
	env.OnActivity(a.CreateTicket, mock.Anything, mock.MatchedBy(func(in activities.CreateTicketInput) bool { return in.ContactID == "" })).
		Return(activities.TicketCreated{TicketID: "tkt_1"}, nil).Once()
	env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(activities.RouteResult{State: domain.RoutingUnassigned}, nil).Once()
	signalAt(env, time.Second, "msg_1")
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
}

func TestConversationFailsWhenItsChannelIsGone(t *testing.T) {
	env := newEnv(t)
	expectRules(env)
	env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(activities.ResolvedContact{ContactID: "ct_1"}, nil)
	env.OnActivity(a.CreateTicket, mock.Anything, mock.Anything).
		Return(activities.TicketCreated{}, temporal.NewNonRetryableApplicationError("channel deleted", activities.ErrTypeNotFound, nil)).Once()
	signalAt(env, time.Second, "msg_1")
	env.ExecuteWorkflow(ConversationWorkflow, input)
	err := env.GetWorkflowError()
	require.Error(t, err)
	require.Contains(t, err.Error(), "create ticket")
	require.Contains(t, err.Error(), "type: "+activities.ErrTypeNotFound+", retryable: false")
}

func TestConversationRetriesTransientFailures(t *testing.T) {
	env := newEnv(t)
	expectRules(env)
	env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(activities.ResolvedContact{ContactID: "ct_1"}, nil)
	calls := 0
	env.OnActivity(a.CreateTicket, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.CreateTicketInput) (activities.TicketCreated, error) {
		calls++
		if calls < 3 {
			return activities.TicketCreated{}, errors.New("database is down")
		}
		return activities.TicketCreated{TicketID: "tkt_1"}, nil
	})
	env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(activities.RouteResult{State: domain.RoutingUnassigned}, nil)
	signalAt(env, time.Second, "msg_1")
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, 3, calls)
}

func TestSearchAttributesAreKeywords(t *testing.T) {
	sa := SearchAttributes()
	for _, name := range []string{"ChannelType", "ChannelId", "TicketId", "AccountId", "RoutingState", "AssigneeId", "ReplyWindow"} {
		require.Contains(t, sa, name)
	}
}

// TestMessageArrivingWhileTheConversationSettlesIsHandled: the conversation
// idles out while a reply's send still retries; a message that arrives while
// it waits for that send is handled before the workflow ends, not dropped.
func TestMessageArrivingWhileTheConversationSettlesIsHandled(t *testing.T) {
	env := newEnv(t)
	openedTicket(env)
	env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"}, nil)
	env.OnActivity(a.StoreReply, mock.Anything, mock.Anything).Return(activities.ReplySent{MessageID: "msg_out", Status: domain.MessageQueued}, nil)
	env.OnActivity(a.SendReply, mock.Anything, mock.Anything).Return(activities.ReplySent{}, errors.New("relay unreachable"))
	env.OnActivity(a.FailReply, mock.Anything, mock.Anything).Return(nil)
	short := input
	short.IdleTimeout = 10 * time.Second
	signalAt(env, time.Second, "msg_1")
	var res ReplyResult
	var replyErr error
	var sentAt, answeredAt time.Time
	replyNow(env, 2*time.Second, "upd-1", &res, &replyErr, &sentAt, &answeredAt)
	signalAt(env, 20*time.Second, "msg_2") // idled out at ~12 s; the send retries until ~33 s
	env.ExecuteWorkflow(ConversationWorkflow, short)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	v, err := env.QueryWorkflow(QueryState)
	require.NoError(t, err)
	var end ConversationState
	require.NoError(t, v.Get(&end))
	require.Equal(t, []string{"msg_1", "msg_2"}, end.Seen, "the message that arrived while settling was handled")
	require.Equal(t, 2, end.MessageCount)
}
