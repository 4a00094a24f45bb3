package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// FollowUp is the ticket a customer's message on a closed ticket opened.
type FollowUp struct {
	// TicketID is the follow-up's id; Status its status ("new" when just opened).
	TicketID string `db:"ticket_id"`
	Status   string `db:"status"`
	// PreviousAssignee is the closed ticket's last agent, preferred when the follow-up is routed.
	PreviousAssignee string
	// Created is false when an earlier call (a retried activity) already opened it.
	Created bool
}

// OpenFollowUp opens the follow-up of closed ticket ticketID on the customer's message messageID
// (idempotent). A conversation has one current ticket: the closed one moves, with the conversation's
// messages from before it closed, to an archived conversation of the same thread (its own thread hash
// and workflow id, so inbound messages never land there); the follow-up takes the conversation, the
// message and what follows. It copies the contact, subject, channel, routing, skills, pipeline and priority.
// A ticket that is not closed is returned as it is.
func (s *Store) OpenFollowUp(ctx context.Context, accountID, ticketID, messageID string) (FollowUp, error) {
	var out FollowUp
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		out = FollowUp{}
		var cur struct {
			Status       string         `db:"status"`
			Conversation sql.NullString `db:"conversation_id"`
			Assignee     sql.NullString `db:"assignee"`
		}
		if err := tx.GetContext(ctx, &cur, `SELECT status, conversation_id, COALESCE(assignee_user_id, previous_assignee_user_id) AS assignee
			   FROM tickets WHERE id = $1 AND account_id = $2 FOR UPDATE`, ticketID, accountID); err != nil {
			return notFound(err, "lock ticket")
		}
		out.PreviousAssignee = cur.Assignee.String
		err := tx.GetContext(ctx, &out, `SELECT id AS ticket_id, status FROM tickets WHERE follow_up_of = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, ticketID)
		if err == nil {
			return nil // opened by an earlier try
		}
		if err != sql.ErrNoRows {
			return fmt.Errorf("find follow-up: %w", err)
		}
		if cur.Status != domain.TicketStatusClosed || !cur.Conversation.Valid {
			out.TicketID, out.Status = ticketID, cur.Status
			return nil
		}
		return openFollowUp(ctx, tx, accountID, ticketID, cur.Conversation.String, messageID, &out)
	})
	if err != nil {
		return FollowUp{}, fmt.Errorf("open follow-up of %s: %w", ticketID, err)
	}
	return out, nil
}

// openFollowUp archives closed ticket ticketID's part of conversation convID and opens its follow-up there.
func openFollowUp(ctx context.Context, tx *sqlx.Tx, accountID, ticketID, convID, messageID string, out *FollowUp) error {
	var live struct {
		ChannelID  string `db:"channel_id"`
		ThreadKey  string `db:"thread_key"`
		WorkflowID string `db:"workflow_id"`
	}
	if err := tx.GetContext(ctx, &live, `SELECT channel_id, thread_key, workflow_id FROM conversations WHERE id = $1 FOR UPDATE`, convID); err != nil {
		return fmt.Errorf("lock conversation: %w", err)
	}
	archived := NewID("conv")
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO conversations (id, account_id, channel_id, thread_key, thread_hash, workflow_id, created_at)
		 SELECT $1, account_id, channel_id, thread_key, $2, $3, created_at FROM conversations WHERE id = $4`,
		archived, keyHash(live.ThreadKey+"\x00closed:"+ticketID), live.WorkflowID+"/"+ticketID, convID); err != nil {
		return fmt.Errorf("archive conversation: %w", err)
	}
	// The closed ticket's messages are those that arrived before it closed: the ones after (this one, and
	// any that came with it, in whatever order the workflow takes them) are the follow-up's.
	if _, err := tx.ExecContext(ctx,
		`UPDATE messages SET conversation_id = $1
		  WHERE conversation_id = $2 AND id <> $3
		    AND received_at < COALESCE(
		        (SELECT max(created_at) FROM ticket_events WHERE ticket_id = $4
		            AND (kind = 'TicketClosed' OR (kind = 'TicketChanged' AND data->>'status' = 'closed' AND data ? 'from_status'))),
		        (SELECT received_at FROM messages WHERE id = $3), now())`,
		archived, convID, messageID, ticketID); err != nil {
		return fmt.Errorf("archive messages: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET conversation_id = $1 WHERE id = $2`, archived, ticketID); err != nil {
		return fmt.Errorf("archive ticket: %w", err)
	}
	out.TicketID, out.Status, out.Created = NewID("tkt"), domain.TicketStatusNew, true
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO tickets (id, account_id, conversation_id, channel_id, contact_id, subject, pipeline, priority,
		                      required_skills, routing, source, status, routing_state, follow_up_of)
		 SELECT $1, account_id, $2, channel_id, contact_id, subject, pipeline, priority,
		        required_skills, routing, source, 'new', 'routing', id FROM tickets WHERE id = $3`,
		out.TicketID, convID, ticketID); err != nil {
		return fmt.Errorf("insert follow-up: %w", err)
	}
	if err := addEvent(ctx, tx, out.TicketID, "TicketCreated", map[string]any{"conversation_id": convID, "follow_up_of": ticketID}, "", "customer_message"); err != nil {
		return err
	}
	return addEvent(ctx, tx, ticketID, "FollowUpOpened", map[string]any{"follow_up": out.TicketID, "message_id": messageID}, "", "customer_message")
}
