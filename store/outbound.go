package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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
