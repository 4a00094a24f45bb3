package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOpenFollowUp: a closed ticket's follow-up takes the conversation and the messages since the close;
// the closed ticket keeps the ones before on an archived conversation of the same thread; a retried call
// answers the same follow-up; a ticket that is not closed is answered as it is.
func TestOpenFollowUp(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	db := st.DB()
	db.MustExec(`INSERT INTO conversations (id, account_id, channel_id, thread_key, thread_hash, workflow_id)
		VALUES ('cv_f', $1, $2, 'thread-f', sha256(convert_to('thread-f', 'UTF8')), 'wf-f')`, acc.ID, ch.ID)
	db.MustExec(`INSERT INTO tickets (id, account_id, conversation_id, channel_id, subject, status, priority, required_skills, assignee_user_id)
		VALUES ('tk_closed', $1, 'cv_f', $2, 'Lamp broken', 'closed', 'high', '{swedish}', NULL)`, acc.ID, ch.ID)
	db.MustExec(`INSERT INTO ticket_events (ticket_id, kind, data, created_at)
		VALUES ('tk_closed', 'TicketChanged', '{"status": "closed", "from_status": "open"}', now() - interval '1 minute')`)
	for _, m := range []struct{ id, ago string }{{"msg_before", "2 minutes"}, {"msg_after", "30 seconds"}, {"msg_new", "0 seconds"}} {
		db.MustExec(`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, status, sent_at, received_at)
			VALUES ($1, $2, $3, 'cv_f', $1, 'inbound', 'received', now(), now() - $4::interval)`, m.id, acc.ID, ch.ID, m.ago)
	}

	f, err := st.OpenFollowUp(ctx, acc.ID, "tk_closed", "msg_new")
	require.NoError(t, err)
	require.True(t, f.Created)
	require.Equal(t, "new", f.Status)
	require.NotEqual(t, "tk_closed", f.TicketID)
	again, err := st.OpenFollowUp(ctx, acc.ID, "tk_closed", "msg_new")
	require.NoError(t, err)
	require.False(t, again.Created)
	require.Equal(t, f.TicketID, again.TicketID, "a retried activity answers the same follow-up")

	fu, err := st.Ticket(ctx, acc.ID, f.TicketID)
	require.NoError(t, err)
	require.Equal(t, "cv_f", fu.ConversationID)
	require.Equal(t, "wf-f", fu.WorkflowID)
	require.Equal(t, "tk_closed", *fu.FollowUpOf)
	require.Equal(t, "Lamp broken", fu.Subject)
	require.Equal(t, "high", fu.Priority)
	require.Equal(t, []string{"swedish"}, fu.RequiredSkills)
	closed, err := st.Ticket(ctx, acc.ID, "tk_closed")
	require.NoError(t, err)
	require.Equal(t, "closed", closed.Status)
	require.Equal(t, []string{f.TicketID}, closed.FollowUps)
	require.Nil(t, closed.FollowUpOf)
	require.NotEqual(t, "cv_f", closed.ConversationID)
	require.Equal(t, "wf-f/tk_closed", closed.WorkflowID)

	var onClosed, onFollowUp []string
	require.NoError(t, db.Select(&onClosed, `SELECT id FROM messages WHERE conversation_id = $1 ORDER BY id`, closed.ConversationID))
	require.NoError(t, db.Select(&onFollowUp, `SELECT id FROM messages WHERE conversation_id = 'cv_f' ORDER BY id`))
	require.Equal(t, []string{"msg_before"}, onClosed)
	require.Equal(t, []string{"msg_after", "msg_new"}, onFollowUp)
	var threadKey string
	require.NoError(t, db.Get(&threadKey, `SELECT thread_key FROM conversations WHERE id = $1`, closed.ConversationID))
	require.Equal(t, "thread-f", threadKey)

	// The follow-up is not closed: asked again for it, it answers itself.
	same, err := st.OpenFollowUp(ctx, acc.ID, f.TicketID, "msg_new")
	require.NoError(t, err)
	require.Equal(t, f.TicketID, same.TicketID)
	require.False(t, same.Created)
}
