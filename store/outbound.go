package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxFailureReason caps the stored failure reason (bytes, cut on a rune boundary).
const maxFailureReason = 1000

// FailOutbound marks an outbound message failed with the reason, unless it
// was sent meanwhile; it reports whether the message was marked.
func (s *Store) FailOutbound(ctx context.Context, accountID, messageID, reason string) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE messages SET status = 'failed', failure_reason = $3
		  WHERE id = $1 AND account_id = $2 AND direction = 'outbound' AND status IN ('queued', 'failed')`,
		messageID, accountID, clipReason(reason))
	if err != nil {
		return false, fmt.Errorf("mark outbound message failed: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
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
