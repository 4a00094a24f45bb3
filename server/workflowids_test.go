package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/workflows"
)

// TestConversationWithAnOldWorkflowIDKeepsIt: a conversation opened before workflow ids
// were keyed hashes (id "conv:<channel>:t:<thread>", its workflow running) takes the
// next message on that same workflow and ticket; a new thread gets a keyed id.
func TestConversationWithAnOldWorkflowIDKeepsIt(t *testing.T) {
	s := testenv.NewStack(t)
	accID, token := s.Account("Acme", "starter")
	ch := chatChannel(t, s, token)
	oldID := func(c, k string) string { return "conv:" + c + ":" + k } // the id before the change
	first := storeUndelivered(t, s.Store, accID, ch, "t:visitor-old", "old-1", oldID)
	require.Equal(t, "conv:"+ch+":t:visitor-old", first.WorkflowID)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.API.Redrive(ctx, 50*time.Millisecond, 0) // delivers it as the server before the change did
	ticket := waitTicket(t, s, token, "channel_id="+ch)
	require.Equal(t, first.WorkflowID, ticket["workflow_id"])

	r := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{"external_id": "old-2", "thread_id": "visitor-old",
		"from": map[string]any{"email": "old@example.com"}, "text": "second message after the change"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	require.Equal(t, first.WorkflowID, r.Map(t)["workflow_id"], "the conversation keeps its workflow")
	testenv.Eventually(t, 20*time.Second, "the running workflow to take the second message", func() bool {
		v, err := s.Temporal.QueryWorkflow(context.Background(), first.WorkflowID, "", workflows.QueryState)
		if err != nil {
			return false
		}
		var st workflows.ConversationState
		return v.Get(&st) == nil && st.MessageCount == 2 && st.TicketID == ticket["id"]
	})
	require.Equal(t, 1, countTickets(t, s), "no second ticket")
	msgs := s.Do(http.MethodGet, "/v1/tickets/"+ticket["id"].(string)+"/messages", token, nil)
	require.Contains(t, string(msgs.Body), "second message after the change")

	r = s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{"external_id": "new-1", "thread_id": "visitor-new",
		"from": map[string]any{"email": "new@example.com"}, "text": "hi"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	require.Equal(t, testenv.ConversationIDs(t).ID(ch, "t:visitor-new"), r.Map(t)["workflow_id"])
	require.NotContains(t, r.Map(t)["workflow_id"], "visitor-new")
}

// TestTicketWorkflowsNameTheContactAndHandOver: a workflow started for a ticket — a
// channel-less ticket's own, or a conversation's started again by an agent's action after
// it ended — has the contact's name in its summary; a reply that opens the channel-less
// ticket's email conversation completes its own workflow (not terminated), its memo
// naming the conversation's workflow.
func TestTicketWorkflowsNameTheContactAndHandOver(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "professional")
	ctx := context.Background()
	dc := s.Codec.DataConverter()
	summaryOf := func(wfID string) string {
		desc, err := s.Temporal.DescribeWorkflowExecution(ctx, wfID, "")
		require.NoError(t, err)
		var summary string
		require.NoError(t, dc.FromPayload(desc.GetExecutionConfig().GetUserMetadata().GetSummary(), &summary))
		return summary
	}

	user := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "agent@acme.test", "name": "Agent", "availability": "available", "capacity": 5})
	require.Equal(t, http.StatusCreated, user.Status, string(user.Body))
	r := s.Do(http.MethodPost, "/v1/tickets", token, map[string]any{"subject": "Substitution broke checkout",
		"contact": map[string]any{"email": "barbara@example.com", "name": "Barbara Liskov"},
		"route":   true, "routing": map[string]any{"assign_to": "users_and_teams", "users": []string{user.Map(t)["id"].(string)}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	id := r.Map(t)["id"].(string)
	own := workflows.TicketWorkflowID(id)
	testenv.Eventually(t, 20*time.Second, "the ticket routed", func() bool {
		return s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil).Map(t)["routing_state"] == "assigned"
	})
	require.Equal(t, "no channel (a ticket's own workflow) · Barbara Liskov <barbara@example.com> · “Substitution broke checkout”", summaryOf(own))

	mail := createChannel(t, s, token, map[string]any{"type": "email", "name": "Support", "config": map[string]any{"address": "support@acme.test"}})
	reply := s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"text": "Fixed.", "channel_id": mail})
	// The channel has no SMTP relay: the reply itself is refused (201, failed), after its conversation opened.
	require.Equal(t, http.StatusCreated, reply.Status, string(reply.Body))
	require.Equal(t, "failed", reply.Map(t)["status"], string(reply.Body))
	moved := s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil).Map(t)["workflow_id"].(string)
	require.Equal(t, testenv.ConversationIDs(t).ID(mail, "ticket:"+id), moved)

	desc, err := s.Temporal.DescribeWorkflowExecution(ctx, own, "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, desc.GetWorkflowExecutionInfo().GetStatus(),
		"the ticket's own workflow ends completed, not terminated")
	var continuedIn string
	require.NoError(t, dc.FromPayload(desc.GetWorkflowExecutionInfo().GetMemo().GetFields()[workflows.MemoContinuedIn], &continuedIn))
	require.Equal(t, moved, continuedIn, "its memo names the conversation's workflow")
	testenv.RecordHistory(t, s.Temporal, own, "ticket_only_handed_over")

	// A conversation whose workflow ended, started again by an agent's change.
	chat := chatChannel(t, s, token)
	r = s.Do(http.MethodPost, "/v1/channels/"+chat+"/messages", token, map[string]any{"external_id": "m-1", "thread_id": "v-1",
		"subject": "Printer on fire", "from": map[string]any{"email": "ada@example.com", "name": "Ada Lovelace"}, "text": "It smokes."})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	wfID := r.Map(t)["workflow_id"].(string)
	tk := waitTicket(t, s, token, "channel_id="+chat)
	require.NoError(t, s.Temporal.TerminateWorkflow(ctx, wfID, "", "the conversation ended (test)"))
	changed := s.Do(http.MethodPatch, "/v1/tickets/"+tk["id"].(string), token, map[string]any{"status": "pending"})
	require.Equal(t, http.StatusOK, changed.Status, string(changed.Body))
	summary := summaryOf(wfID)
	require.True(t, strings.Contains(summary, "Ada Lovelace <ada@example.com>"), "the restarted workflow's summary names the contact: %q", summary)
}
