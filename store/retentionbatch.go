package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// RetentionCandidates is the next batch of an account's retention run: its expired conversations
// and every Temporal workflow holding their data (conversation, deliveries of their messages),
// that has a live key, to be stopped before ApplyRetention deletes or anonymises the conversations.
type RetentionCandidates struct {
	ConversationIDs []string
	WorkflowIDs     []string
}

// RetentionApplied is what ApplyRetention did: conversations deleted and anonymised, and the ids
// of every erased key of their workflows (for the keyrings to forget).
type RetentionApplied struct {
	Deleted    int
	Anonymised int
	KeyIDs     []string
}

// expiredConversations selects the conversations of account $1 whose ticket was closed longer ago
// than its channel's policy (or the account's) allows, with the policy's action; a conversation
// anonymised already is taken again only by a delete policy. Callers add a LIMIT or a list of ids.
const expiredConversations = `SELECT t.conversation_id, p.action FROM tickets t
	JOIN conversations c ON c.id = t.conversation_id
	JOIN retention_policies p ON p.account_id = t.account_id AND p.channel_id = COALESCE((SELECT q.channel_id FROM retention_policies q
		WHERE q.account_id = t.account_id AND q.channel_id = t.channel_id), '')
	WHERE t.account_id = $1 AND t.status = 'closed' AND t.conversation_id IS NOT NULL
	  AND t.updated_at < now() - make_interval(days => p.days)
	  AND (p.action = 'delete' OR c.anonymised_at IS NULL)`

// retentionWorkflows selects the workflows of conversations $1: theirs and their messages' deliveries.
const retentionWorkflows = `SELECT workflow_id FROM conversations WHERE id = ANY($1)
	UNION SELECT 'delivery:' || m.id FROM messages m WHERE m.conversation_id = ANY($1) AND m.direction = 'outbound'
	ORDER BY 1`

type expired struct {
	ConversationID string `db:"conversation_id"`
	Action         string `db:"action"`
}

// NextRetention returns the next batch (up to limit) of an account's expired conversations.
func (s *Store) NextRetention(ctx context.Context, accountID string, limit int) (RetentionCandidates, error) {
	var c RetentionCandidates
	var rows []expired
	if err := s.db.SelectContext(ctx, &rows, expiredConversations+` LIMIT $2`, accountID, limit); err != nil {
		return c, fmt.Errorf("retention candidates of %s: %w", accountID, err)
	}
	c.ConversationIDs = make([]string, 0, len(rows))
	for _, r := range rows {
		c.ConversationIDs = append(c.ConversationIDs, r.ConversationID)
	}
	// A workflow that ever ran has a live key (its payloads are encoded from its start): the others
	// (imported or seeded conversations, deliveries never made) need no call to Temporal.
	if err := s.db.SelectContext(ctx, &c.WorkflowIDs, `SELECT w.workflow_id FROM (`+retentionWorkflows+`) w
		WHERE EXISTS (SELECT 1 FROM privacy_keys k WHERE k.workflow_id = w.workflow_id AND k.erased_at IS NULL)`, c.ConversationIDs); err != nil {
		return c, fmt.Errorf("retention candidates of %s: %w", accountID, err)
	}
	return c, nil
}

// ApplyRetention deletes or anonymises, in one transaction, those of the conversations convs that
// are still expired (each as its policy says), erases their workflows' keys, and adds the counts to
// the account's run runID. Deleting takes the messages with their attachments and calls, timeline
// entries, tickets and conversations; anonymising is anonymiseConversations.
func (s *Store) ApplyRetention(ctx context.Context, accountID, runID string, convs []string) (RetentionApplied, error) {
	var out RetentionApplied
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var rows []expired
		if err := tx.SelectContext(ctx, &rows, expiredConversations+` AND t.conversation_id = ANY($2) FOR UPDATE OF c`, accountID, convs); err != nil {
			return err
		}
		var del, anon []string
		for _, r := range rows {
			if r.Action == RetentionAnonymise {
				anon = append(anon, r.ConversationID)
			} else {
				del = append(del, r.ConversationID)
			}
		}
		all := append(append([]string{}, del...), anon...)
		var wfs []string
		if err := tx.SelectContext(ctx, &wfs, retentionWorkflows, all); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE privacy_keys SET wrapped = NULL, erased_at = now()
			WHERE erased_at IS NULL AND workflow_id = ANY($1) AND (account_id = $2 OR account_id IS NULL)`, wfs, accountID); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &out.KeyIDs, `SELECT id FROM privacy_keys WHERE workflow_id = ANY($1) AND erased_at IS NOT NULL
			AND (account_id = $2 OR account_id IS NULL) ORDER BY id`, wfs, accountID); err != nil {
			return err
		}
		if err := deleteConversations(ctx, tx, accountID, del); err != nil {
			return err
		}
		if err := anonymiseConversations(ctx, tx, accountID, anon); err != nil {
			return err
		}
		out.Deleted, out.Anonymised = len(del), len(anon)
		_, err := tx.ExecContext(ctx, `INSERT INTO retention_runs (account_id, run_id, state, counts)
			VALUES ($1, $2, 'running', jsonb_build_object('conversations', $3::int, 'anonymised', $4::int))
			ON CONFLICT (account_id) DO UPDATE SET counts = CASE WHEN retention_runs.run_id = $2
				THEN jsonb_build_object('conversations', COALESCE((retention_runs.counts->>'conversations')::int, 0) + $3,
					'anonymised', COALESCE((retention_runs.counts->>'anonymised')::int, 0) + $4) ELSE EXCLUDED.counts END,
				started_at = CASE WHEN retention_runs.run_id = $2 THEN retention_runs.started_at ELSE now() END,
				finished_at = CASE WHEN retention_runs.run_id = $2 THEN retention_runs.finished_at END,
				run_id = $2, state = 'running'`, accountID, runID, out.Deleted, out.Anonymised)
		return err
	})
	if err != nil {
		return RetentionApplied{}, fmt.Errorf("retention of %s: %w", accountID, err)
	}
	return out, nil
}

// deleteConversations deletes conversations with their messages (attachments, email headers,
// submissions and parts by cascade, calls explicitly), timeline entries and tickets.
func deleteConversations(ctx context.Context, tx *sqlx.Tx, accountID string, convs []string) error {
	if len(convs) == 0 {
		return nil
	}
	p := ErasurePlan{AccountID: accountID, ConversationIDs: convs}
	if err := tx.SelectContext(ctx, &p.TicketIDs, `SELECT id FROM tickets WHERE account_id = $1 AND conversation_id = ANY($2)`, accountID, convs); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM calls WHERE message_id IN (SELECT id FROM messages WHERE account_id = $1 AND conversation_id = ANY($2))`,
		accountID, convs); err != nil {
		return err
	}
	for _, d := range erasureDeletes {
		switch d.table {
		case "messages", "ignored_inbound", "timeline_entries", "tickets", "conversations":
			if _, err := tx.ExecContext(ctx, d.sql, d.args(p)...); err != nil {
				return fmt.Errorf("%s: %w", d.table, err)
			}
		}
	}
	return nil
}
