package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// RedactionMarker replaces redacted content.
const RedactionMarker = "[redacted]"

// Redaction is what redacting a message changed: the audit entry's counts.
type Redaction struct {
	ID          string `json:"id"`
	MessageID   string `json:"message_id"`
	Messages    int64  `json:"messages"`
	Attachments int64  `json:"attachments"`
	Tickets     int64  `json:"tickets"`
}

// RedactMessage replaces a message's content (subject, text, html, quoted text, and every
// attachment) with RedactionMarker, or only its attachment n when n is not nil, together with the
// copies derived from it (its ticket's subject and description when they were taken from it); the
// search vectors follow by their triggers (migrations 00180, 00240). The reason stays on the
// message; the audit log gets ids and counts. domain.ErrNotFound: no such message in the account.
func (s *Store) RedactMessage(ctx context.Context, accountID, messageID string, n *int, actor, reason string) (Redaction, error) {
	r := Redaction{ID: NewID("red"), MessageID: messageID}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var m struct {
			Conversation string `db:"conversation_id"`
			Subject      string `db:"subject"`
			Text         string `db:"text"`
		}
		err := tx.GetContext(ctx, &m, `SELECT conversation_id, subject, text FROM messages WHERE account_id = $1 AND id = $2 FOR UPDATE`,
			accountID, messageID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("message %s: %w", messageID, domain.ErrNotFound)
		}
		if err != nil {
			return err
		}
		empty := sha256.Sum256(nil)
		res, err := tx.ExecContext(ctx, `UPDATE message_attachments SET content = ''::bytea, size = 0, sha256 = $3,
			name = 'redacted', content_type = 'application/octet-stream'
			WHERE message_id = $1 AND ($2::int IS NULL OR n = $2)`, messageID, n, hex.EncodeToString(empty[:]))
		if err != nil {
			return err
		}
		r.Attachments, _ = res.RowsAffected()
		if n != nil && r.Attachments == 0 {
			return domain.Invalid("attachment", fmt.Sprintf("the message has no attachment %d", *n))
		}
		mark, err := json.Marshal(map[string]string{"redaction_id": r.ID, "by": actor, "reason": reason})
		if err != nil {
			return err
		}
		if n != nil {
			_, err = tx.ExecContext(ctx, `UPDATE messages SET properties = properties || jsonb_build_object('redacted', $2::jsonb) WHERE id = $1`, messageID, mark)
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET text = $2, html = '', subject = CASE WHEN subject = '' THEN '' ELSE $2 END,
			properties = properties || jsonb_build_object('redacted', $3::jsonb) WHERE id = $1`, messageID, RedactionMarker, mark); err != nil {
			return err
		}
		r.Messages = 1
		if _, err := tx.ExecContext(ctx, `UPDATE email_messages SET quoted_text = '' WHERE message_id = $1`, messageID); err != nil {
			return err
		}
		// A ticket's subject and description are taken from its first message: redact them when they were.
		res, err = tx.ExecContext(ctx, `UPDATE tickets SET
			subject = CASE WHEN $3 <> '' AND subject = $3 THEN $4 ELSE subject END,
			description = CASE WHEN $2 <> '' AND description <> '' AND (description = $2 OR strpos($2, description) = 1 OR strpos(description, $2) > 0) THEN $4 ELSE description END,
			updated_at = now()
			WHERE account_id = $1 AND conversation_id = $5 AND (($3 <> '' AND subject = $3)
			   OR ($2 <> '' AND description <> '' AND (description = $2 OR strpos($2, description) = 1 OR strpos(description, $2) > 0)))`,
			accountID, m.Text, m.Subject, RedactionMarker, m.Conversation)
		if err != nil {
			return err
		}
		r.Tickets, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("redact message %s: %w", messageID, err)
	}
	counts, _ := json.Marshal(map[string]int64{"messages": r.Messages, "attachments": r.Attachments, "tickets": r.Tickets})
	return r, s.RecordAudit(ctx, AuditEntry{AccountID: accountID, Action: AuditRedact, Ref: r.ID, Actor: actor,
		SubjectKind: "message", SubjectID: messageID, Counts: counts})
}

// autoRedact replaces card numbers and national ids in an inbound message of a channel with
// auto_redact set, before it is stored (nothing of the original reaches PostgreSQL or Temporal).
func autoRedact(ctx context.Context, tx *sqlx.Tx, in *Inbound) error {
	var on bool
	if err := tx.GetContext(ctx, &on, `SELECT auto_redact FROM channels WHERE id = $1`, in.ChannelID); err != nil {
		return fmt.Errorf("channel %s auto redaction: %w", in.ChannelID, err)
	}
	if !on {
		return nil
	}
	var any1, any2, any3 bool
	in.Subject, any1 = domain.RedactPatterns(in.Subject)
	in.Text, any2 = domain.RedactPatterns(in.Text)
	in.HTML, any3 = domain.RedactPatterns(in.HTML)
	if any1 || any2 || any3 {
		props := map[string]any{}
		for k, v := range in.Properties {
			props[k] = v
		}
		props["auto_redacted"] = true
		in.Properties = props
	}
	return nil
}

// SetAutoRedact turns automatic redaction on arrival on or off for a channel of the account.
func (s *Store) SetAutoRedact(ctx context.Context, accountID, channelID string, on bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE channels SET auto_redact = $3 WHERE account_id = $1 AND id = $2`, accountID, channelID, on)
	if err != nil {
		return fmt.Errorf("channel %s auto redaction: %w", channelID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("channel %s: %w", channelID, domain.ErrNotFound)
	}
	return nil
}
