package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/domain"
)

// TestTraitsInInputGovernTheWindow: a channel type the workflow has never heard
// of gets WhatsApp-like windows from the traits its input carries.
func TestTraitsInInputGovernTheWindow(t *testing.T) {
	env, in, windows := windowedEnv(t, "sms")
	in.Traits = &traits.Traits{Window: traits.WindowTemplates, Label: "SMS"}
	env.OnActivity(a.SendReply, mock.Anything, mock.Anything).Return(activities.ReplySent{MessageID: "m", Status: domain.MessageQueued}, nil)
	signalAt(env, time.Second, "msg_1")
	var inside, outside replyOutcome
	replyAt(env, 23*time.Hour, "r1", "usr_1", &inside)
	replyAt(env, 25*time.Hour, "r2", "usr_1", &outside)
	env.ExecuteWorkflow(ConversationWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, inside.err)
	require.ErrorContains(t, outside.err, "the SMS customer-service window closed")
	require.Equal(t, []string{domain.WindowOpen, domain.WindowClosed}, *windows)
}

// TestTraitsInInputOverrideTheLegacyTable: traits in the input win over the
// type-name table kept for conversations started before inputs carried them.
func TestTraitsInInputOverrideTheLegacyTable(t *testing.T) {
	env, in, windows := windowedEnv(t, "whatsapp")
	in.Traits = &traits.Traits{}
	env.OnActivity(a.SendReply, mock.Anything, mock.Anything).Return(activities.ReplySent{MessageID: "m", Status: domain.MessageSent}, nil)
	signalAt(env, time.Second, "msg_1")
	var late replyOutcome
	replyAt(env, 20*24*time.Hour, "r1", "", &late)
	env.ExecuteWorkflow(ConversationWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, late.err)
	require.Empty(t, *windows)
}
