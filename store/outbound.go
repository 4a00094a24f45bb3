package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// maxFailureReason caps the stored failure reason (bytes, cut on a rune boundary).
const maxFailureReason = 1000

// FailOutbound marks an outbound message failed with the reason, unless it
// was sent meanwhile; it reports whether the message was marked.
func (s *Store) FailOutbound(ctx context.Context, accountID, messageID, reason string) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE messages SET status = 'failed', failure_reason = $3, next_attempt_at = NULL
		  WHERE id = $1 AND account_id = $2 AND direction = 'outbound' AND status IN ('queued', 'retrying', 'failed')`,
		messageID, accountID, clipReason(reason))
	if err != nil {
		return false, fmt.Errorf("mark outbound message failed: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 { // a survey's invitation: the survey failed with the delivery's reason
		return true, failSurvey(ctx, s.db, messageID, reason)
	}
	return false, nil
}

// RefuseOutbound records an attempt the channel refused for good: the message is failed with the
// channel's reason, unless it was sent meanwhile; it reports whether the message was marked.
func (s *Store) RefuseOutbound(ctx context.Context, accountID, messageID, reason string) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE messages SET status = 'failed', failure_reason = $3, next_attempt_at = NULL, attempts = attempts + 1
		  WHERE id = $1 AND account_id = $2 AND direction = 'outbound' AND status IN ('queued', 'retrying', 'failed')`,
		messageID, accountID, clipReason(reason))
	if err != nil {
		return false, fmt.Errorf("mark refused outbound message failed: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 { // a survey's invitation: the survey failed with the delivery's reason
		return true, failSurvey(ctx, s.db, messageID, reason)
	}
	return false, nil
}

// MarkRetrying records an attempt that failed temporarily: the message is retrying with the
// attempt's error as its reason and its next attempt at next (nil: none is planned, it is about
// to fail). A message sent or failed meanwhile is left as it is.
func (s *Store) MarkRetrying(ctx context.Context, accountID, messageID, reason string, next *time.Time) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE messages SET status = 'retrying', failure_reason = $3, next_attempt_at = $4, attempts = attempts + 1
		  WHERE id = $1 AND account_id = $2 AND direction = 'outbound' AND status IN ('queued', 'retrying')`,
		messageID, accountID, clipReason(reason), next)
	if err != nil {
		return fmt.Errorf("mark outbound message retrying: %w", err)
	}
	return nil
}

// RequeueOutbound puts a failed outbound message back in the queue for another delivery and
// returns it; ErrConflict when it is not an outbound message in status failed (a second retry
// of the same failure finds it queued), ErrNotFound when the account has no such message.
func (s *Store) RequeueOutbound(ctx context.Context, accountID, messageID string) (domain.Message, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE messages SET status = 'queued', next_attempt_at = NULL
		  WHERE id = $1 AND account_id = $2 AND direction = 'outbound' AND status = 'failed'`, messageID, accountID)
	if err != nil {
		return domain.Message{}, fmt.Errorf("requeue outbound message: %w", err)
	}
	m, err := s.Message(ctx, accountID, messageID)
	if err != nil {
		return m, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return m, fmt.Errorf("message %s is %s %s, not a failed reply: only a failed reply is sent again: %w",
			messageID, m.Direction, m.Status, domain.ErrConflict)
	}
	return m, nil
}

// FailQueuedOutbound marks the conversation's still-queued outbound messages
// whose external id starts with prefix (e.g. "welcome:") failed with the reason.
func (s *Store) FailQueuedOutbound(ctx context.Context, accountID, conversationID, prefix, reason string) (int64, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE messages SET status = 'failed', failure_reason = $4
		  WHERE account_id = $1 AND conversation_id = $2 AND direction = 'outbound' AND status = 'queued'
		    AND starts_with(external_id, $3)`,
		accountID, conversationID, prefix, clipReason(reason))
	if err != nil {
		return 0, fmt.Errorf("mark queued outbound messages failed: %w", err)
	}
	return res.RowsAffected()
}

// clipReason keeps a reason valid UTF-8 and bounded.
func clipReason(reason string) string {
	reason = strings.ReplaceAll(string([]rune(reason)), "\x00", "") // invalid bytes become U+FFFD; PostgreSQL text takes no NUL
	for len(reason) > maxFailureReason {
		_, size := utf8.DecodeLastRuneInString(reason)
		reason = reason[:len(reason)-size]
	}
	return reason
}

// Outbound is an agent's reply as stored before it is sent.
type Outbound struct {
	AccountID      string
	ChannelID      string
	ConversationID string
	// ExternalID makes the insert idempotent: the workflow's update id.
	ExternalID string
	Author     domain.Author
	Text       string
	HTML       string
	Tag        string
	// Properties are kept with the reply (a WhatsApp template, to send it again).
	Properties map[string]any
}

// AddOutbound stores a reply as queued; a repeat with the same external id returns the first.
func (s *Store) AddOutbound(ctx context.Context, o Outbound) (domain.Message, error) {
	author, _ := json.Marshal(o.Author)
	props := []byte("{}")
	if len(o.Properties) > 0 {
		var err error
		if props, err = json.Marshal(o.Properties); err != nil {
			return domain.Message{}, fmt.Errorf("encode outbound properties: %w", err)
		}
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, author, text, html, tag, status, sent_at, delivered_at, properties)
		 VALUES ($1, $2, $3, $4, $5, 'outbound', $6, $7, $8, $9, 'queued', now(), now(), $10)
		 ON CONFLICT (channel_id, external_id) DO NOTHING`,
		NewID("msg"), o.AccountID, o.ChannelID, o.ConversationID, o.ExternalID, author, o.Text, o.HTML, o.Tag, props)
	if err != nil {
		return domain.Message{}, fmt.Errorf("add outbound message: %w", err)
	}
	var row messageRow
	if err := s.db.GetContext(ctx, &row, `SELECT `+messageColumns+` FROM messages WHERE channel_id = $1 AND external_id = $2`, o.ChannelID, o.ExternalID); err != nil {
		return domain.Message{}, fmt.Errorf("read outbound message: %w", err)
	}
	return row.message()
}

// SetMessageStatus records what became of an outbound message.
func (s *Store) SetMessageStatus(ctx context.Context, accountID, messageID, status string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE messages SET status = $3 WHERE id = $1 AND account_id = $2`, messageID, accountID, status); err != nil {
		return fmt.Errorf("set message status: %w", err)
	}
	return nil
}

// MarkSent records that a provider accepted an outbound message, with the id it gave it; a
// receipt that came first (delivered, read, failed) keeps its status.
func (s *Store) MarkSent(ctx context.Context, accountID, messageID, providerID string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := markSent(ctx, tx, accountID, messageID, providerID); err != nil {
			return err
		}
		if _, err := measureFirstResponse(ctx, tx, accountID, messageID); err != nil { // once per ticket, with the status that makes it count
			return err
		}
		return measureNextResponse(ctx, tx, accountID, messageID)
	})
}

func markSent(ctx context.Context, tx *sqlx.Tx, accountID, messageID, providerID string) error {
	if _, err := tx.ExecContext(ctx,
		`UPDATE messages SET status = CASE WHEN status IN ('delivered', 'read', 'failed') THEN status ELSE 'sent' END,
		        failure_reason = CASE WHEN status IN ('queued', 'retrying') THEN NULL ELSE failure_reason END,
		        next_attempt_at = NULL, attempts = attempts + CASE WHEN status IN ('queued', 'retrying') THEN 1 ELSE 0 END,
		        provider_message_id = NULLIF($3, '') WHERE id = $1 AND account_id = $2`,
		messageID, accountID, providerID); err != nil {
		return fmt.Errorf("mark message sent: %w", err)
	}
	return surveySent(ctx, tx, messageID) // a survey's invitation: the survey went out
}

// MarkProviderFailed marks the outbound message a provider reported as not delivered; it reports whether one was found.
func (s *Store) MarkProviderFailed(ctx context.Context, channelID, providerID string) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE messages SET status = 'failed' WHERE channel_id = $1 AND provider_message_id = $2 AND direction = 'outbound'`,
		channelID, providerID)
	if err != nil {
		return false, fmt.Errorf("mark message failed: %w", err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return false, nil
	}
	// A survey's invitation the provider could not deliver: the survey failed, unless answered already.
	if _, err := s.db.ExecContext(ctx, `UPDATE csat_surveys SET state = 'failed', reason = 'the invitation was not delivered: the provider reported it failed'
		  WHERE state = 'sent' AND message_id IN (SELECT id FROM messages WHERE channel_id = $1 AND provider_message_id = $2 AND direction = 'outbound')`,
		channelID, providerID); err != nil {
		return true, fmt.Errorf("mark survey failed: %w", err)
	}
	return true, nil
}
