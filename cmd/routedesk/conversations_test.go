package main

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

func TestConversationsQuery(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	require.Equal(t, `WorkflowType = "ConversationWorkflow" AND ExecutionStatus = "Running" AND RoutingState = "waiting_for_agent" AND WaitingSince < "2026-11-26T11:50:00Z"`,
		conversationsQuery(conversationsFlags{WaitingLonger: 10 * time.Minute}, now))
	require.Equal(t, `WorkflowType = "ConversationWorkflow" AND ExecutionStatus = "Running" AND ChannelType = "messenger" AND ReplyWindow = "human_agent_only"`,
		conversationsQuery(conversationsFlags{ChannelType: "messenger", ReplyWindow: "human_agent_only"}, now))
	require.Equal(t, `WorkflowType = "ConversationWorkflow" AND RoutingState = "a\"b" AND (TicketId = "t")`,
		conversationsQuery(conversationsFlags{All: true, RoutingState: `a"b`, Query: `TicketId = "t"`}, now))
}

// TestConversationsWaitingLonger lists, against the embedded Temporal
// server, a conversation waiting for an agent: absent now, present once it
// has waited longer than 10 minutes.
func TestConversationsWaitingLonger(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "enterprise")
	user := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "agent@acme.test", "name": "Agent", "availability": "offline"})
	require.Equal(t, http.StatusCreated, user.Status, string(user.Body))
	ch := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "chat", "name": "Shop chat",
		"routing": map[string]any{"assign_to": "users_and_teams", "users": []string{user.Map(t)["id"].(string)}, "timeout_seconds": 3600}})
	require.Equal(t, http.StatusCreated, ch.Status, string(ch.Body))
	chID := ch.Map(t)["id"].(string)
	r := s.Do(http.MethodPost, "/v1/channels/"+chID+"/messages", token, map[string]any{"external_id": "w-1", "thread_id": "v", "text": "hello"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	wfID := r.Map(t)["workflow_id"].(string)

	ctx := context.Background()
	dc := s.Codec.DataConverter()
	flags := conversationsFlags{WaitingLonger: 10 * time.Minute, Limit: 100}
	var out bytes.Buffer
	testenv.Eventually(t, 15*time.Second, "the waiting conversation listed 11 minutes on", func() bool {
		out.Reset()
		require.NoError(t, listConversations(ctx, s.Temporal, dc, flags, time.Now().Add(11*time.Minute), &out))
		return bytes.Contains(out.Bytes(), []byte(wfID))
	})
	require.Contains(t, out.String(), "waiting_for_agent")
	require.Contains(t, out.String(), "chat “Shop chat”", "the channel name, decoded from the encrypted memo")
	require.Contains(t, out.String(), "1 conversation(s)")
	testenv.RecordHistory(t, s.Temporal, wfID, "conversation_ops_view_waiting")

	out.Reset()
	require.NoError(t, listConversations(ctx, s.Temporal, dc, flags, time.Now(), &out))
	require.NotContains(t, out.String(), wfID, "it has not waited 10 minutes yet")
	require.Contains(t, out.String(), "0 conversation(s)")
}
