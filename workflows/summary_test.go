package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

func currentDetails(t *testing.T, env *testsuite.TestWorkflowEnvironment, at time.Duration, into *string) {
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow("__temporal_workflow_metadata")
		require.NoError(t, err)
		var md sdk.WorkflowMetadata
		require.NoError(t, v.Get(&md))
		*into = md.GetCurrentDetails()
	}, at)
}

func TestCurrentDetailsFollowTheConversation(t *testing.T) {
	env := newEnv(t)
	openedTicket(env, activities.RouteResult{State: domain.RoutingWaitingForAgent})
	var waitingSince bool
	env.OnUpsertTypedSearchAttributes(mock.MatchedBy(func(sa temporal.SearchAttributes) bool {
		_, ok := sa.GetTime(WaitingSinceKey)
		return ok
	})).Run(func(mock.Arguments) { waitingSince = true }).Return(nil)
	env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil)
	signalAt(env, time.Second, "msg_1")
	var before, waiting, assigned string
	currentDetails(t, env, 500*time.Millisecond, &before)
	currentDetails(t, env, 5*time.Second, &waiting)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalAgentAssigned, AgentAssigned{UserID: "usr_1"}) }, time.Minute)
	currentDetails(t, env, 61*time.Second, &assigned)
	in := input
	in.Contact, in.Subject = "Ada Lovelace <ada@example.com>", "Printer on fire"
	env.ExecuteWorkflow(ConversationWorkflow, in)
	require.NoError(t, env.GetWorkflowError())

	require.Contains(t, before, "**Routing** routing")
	require.Contains(t, before, "Ada Lovelace <ada@example.com>")
	require.Contains(t, waiting, "**Ticket** `tkt_1` (new) Printer on fire")
	require.Contains(t, waiting, "**Contact** Ada Lovelace <ada@example.com> `ct_1`")
	require.Contains(t, waiting, "**Routing** waiting_for_agent since ")
	require.Contains(t, waiting, "**Assignee** none")
	require.Contains(t, assigned, "**Routing** assigned")
	require.Contains(t, assigned, "**Assignee** `usr_1`")
	require.True(t, waitingSince, "WaitingSince is upserted while the ticket waits")
}

func TestStaticSummaryIsOneClippedLine(t *testing.T) {
	in := input
	in.Contact, in.Subject = "Ada\nLovelace", "Printer on fire"
	require.Equal(t, "chat “Website chat” · Ada Lovelace · “Printer on fire”", StaticSummary(in))
	in.Subject = string(make([]rune, 500))
	require.LessOrEqual(t, len([]rune(StaticSummary(in))), maxSummaryRunes)
	require.Contains(t, StaticDetails(in), "**Conversation** `conv_1`")
}

func TestActivitySummaryNamesWhatAndWhich(t *testing.T) {
	require.Equal(t, "Route the ticket to an agent · tkt_1", ActivitySummary("Route", activities.RouteInput{TicketID: "tkt_1"}))
	require.Equal(t, "Record the reply window · open · tkt_2", ActivitySummary("SetReplyWindow",
		activities.ReplyWindowInput{TicketID: "tkt_2", Window: domain.ReplyWindow{State: domain.WindowOpen}}))
	require.Equal(t, "Load the ticket · tkt_3", ActivitySummary("LoadTicket", activities.TicketRef{TicketID: "tkt_3"}))
	require.Empty(t, ActivitySummary("Unknown"))
}
