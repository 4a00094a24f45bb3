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

// newEnv runs a conversation with replies sent as before changeDurableReply (oneShotReplies);
// newEnvDurableReplies and newOpeningEnv run it as it starts now.
func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	return oneShotReplies(newOpeningEnv(t))
}

// newEnvDurableReplies is newEnv with replies as they are sent now: stored, then delivered by a DeliveryWorkflow.
func newEnvDurableReplies(t *testing.T) *testsuite.TestWorkflowEnvironment {
	return newOpeningEnv(t)
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

// newBareEnv is newOpeningEnv without the SLA choice's answer; its accounts send no CSAT surveys
// (csat_test.go's tests do).
func newBareEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	env := newSurveyEnv(t)
	env.OnActivity(a.ScheduleCSAT, mock.Anything, mock.Anything).Return(activities.CSATScheduled{}, nil).Maybe()
	return env
}

// newSurveyEnv is newBareEnv whose test answers ScheduleCSAT itself.
func newSurveyEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
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

func signalAt(env *testsuite.TestWorkflowEnvironment, after time.Duration, messageID string) {
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalInboundMessage, InboundMessage{MessageID: messageID})
	}, after)
}

func TestConversationCreatesOneTicketAndIgnoresRedelivery(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.OpenConversation, mock.Anything, openInput).Return(activities.Opened{
		Contact: activities.ResolvedContact{ContactID: "ct_1", IsNew: true}, Rules: vipOutcome,
		Ticket: activities.TicketCreated{TicketID: "tkt_1", Created: true, Routing: domain.Routing{AssignTo: domain.AssignNone}},
		Route:  &activities.RouteResult{State: domain.RoutingUnassigned},
	}, nil).Once()

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

func TestConversationSetsItsIdentity(t *testing.T) {
	env := newEnv(t)
	openedWith(env, activities.TicketCreated{TicketID: "tkt_9"}, activities.RouteResult{State: domain.RoutingUnassigned})
	env.OnUpsertTypedSearchAttributes(temporal.NewSearchAttributes(
		ChannelTypeKey.ValueSet("chat"), ChannelIDKey.ValueSet("ch_1"), AccountIDKey.ValueSet("acc_1"),
		RoutingStateKey.ValueSet(domain.RoutingRouting),
	)).Return(nil).Once()
	env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil) // the opening's (TestOpeningIsOneActivityAndOneUpsert)
	signalAt(env, time.Second, "msg_1")
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
}

func TestConversationRetriesTransientFailures(t *testing.T) {
	env := newEnv(t)
	calls := 0
	env.OnActivity(a.OpenConversation, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.OpenInput) (activities.Opened, error) {
		calls++
		if calls < 3 {
			return activities.Opened{}, errors.New("database is down")
		}
		return activities.Opened{Ticket: activities.TicketCreated{TicketID: "tkt_1", Created: true},
			Route: &activities.RouteResult{State: domain.RoutingUnassigned}}, nil
	})
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
	openedTicket(env, activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"})
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
