package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Delivery receipt statuses of outbound messages, beyond sent and failed.
const (
	// MessageDelivered: the app delivered the reply to the customer.
	MessageDelivered = "delivered"
	// MessageRead: the customer read it.
	MessageRead = "read"
)

// ApplyReceipt moves an outbound message of the channel forward to status (delivered, read or failed, with
// errText as its reason); it reports applied false for a receipt that is not ahead of the stored status
// (out of order), and ErrNotFound when the channel sent no such message.
func (s *Store) ApplyReceipt(ctx context.Context, accountID, channelID, messageID, status, errText string) (current string, applied bool, err error) {
	const rank = `CASE %s WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'failed' THEN 2 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 4 END`
	err = s.db.GetContext(ctx, &current,
		`UPDATE messages SET status = $4, failure_reason = CASE WHEN $4 = 'failed' THEN $5 ELSE failure_reason END
		  WHERE id = $1 AND account_id = $2 AND channel_id = $3 AND direction = 'outbound'
		    AND `+fmt.Sprintf(rank, "status")+` < `+fmt.Sprintf(rank, "$4::text")+`
		 RETURNING status`, messageID, accountID, channelID, status, clipReason(strings.TrimSpace(errText)))
	if err == nil {
		return current, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", false, fmt.Errorf("apply receipt: %w", err)
	}
	err = s.db.GetContext(ctx, &current, `SELECT status FROM messages WHERE id = $1 AND account_id = $2 AND channel_id = $3 AND direction = 'outbound'`,
		messageID, accountID, channelID)
	if err != nil {
		return "", false, notFound(err, "outbound message "+messageID)
	}
	return current, false, nil
}

// ConversationThread returns the thread key of a conversation ("t:<thread id>", "u:<user id>" …).
func (s *Store) ConversationThread(ctx context.Context, accountID, conversationID string) (string, error) {
	var key string
	if err := s.db.GetContext(ctx, &key, `SELECT thread_key FROM conversations WHERE id = $1 AND account_id = $2`, conversationID, accountID); err != nil {
		return "", notFound(err, "conversation thread")
	}
	return key, nil
}
