package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// RetentionPolicy deletes an account's (or one channel's) conversations closed more than Days ago.
type RetentionPolicy struct {
	ChannelID string `db:"channel_id" json:"channel_id"`
	Days      int    `db:"days" json:"days"`
	Action    string `db:"action" json:"action"`
}

// RetentionRun is an account's last retention run.
type RetentionRun struct {
	RunID      string          `db:"run_id" json:"run_id"`
	State      string          `db:"state" json:"state"`
	Counts     json.RawMessage `db:"counts" json:"counts"`
	StartedAt  time.Time       `db:"started_at" json:"started_at"`
	FinishedAt *time.Time      `db:"finished_at" json:"finished_at"`
}

// SetRetentionPolicy stores the policy of an account (” channel) or of one of its channels.
func (s *Store) SetRetentionPolicy(ctx context.Context, accountID string, p RetentionPolicy) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO retention_policies (account_id, channel_id, days, action) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id, channel_id) DO UPDATE SET days = EXCLUDED.days, action = EXCLUDED.action, updated_at = now()`,
		accountID, p.ChannelID, p.Days, p.Action)
	if err != nil {
		return fmt.Errorf("set retention policy: %w", err)
	}
	return nil
}

// Retention returns an account's policies and its last run (nil before the first).
func (s *Store) Retention(ctx context.Context, accountID string) ([]RetentionPolicy, *RetentionRun, error) {
	ps := []RetentionPolicy{}
	if err := s.db.SelectContext(ctx, &ps, `SELECT channel_id, days, action FROM retention_policies WHERE account_id = $1 ORDER BY channel_id`, accountID); err != nil {
		return nil, nil, fmt.Errorf("retention: %w", err)
	}
	var r RetentionRun
	err := s.db.GetContext(ctx, &r, `SELECT run_id, state, counts, started_at, finished_at FROM retention_runs WHERE account_id = $1`, accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return ps, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("retention: %w", err)
	}
	return ps, &r, nil
}

// RetentionAccounts lists the accounts with a retention policy.
func (s *Store) RetentionAccounts(ctx context.Context) ([]string, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT DISTINCT account_id FROM retention_policies ORDER BY 1`); err != nil {
		return nil, fmt.Errorf("retention accounts: %w", err)
	}
	return ids, nil
}

// expiredConversations selects up to $2 conversations of account $1 whose ticket was closed longer
// ago than its channel's policy (or the account's) allows.
const expiredConversations = `SELECT t.conversation_id FROM tickets t
	JOIN retention_policies p ON p.account_id = t.account_id AND p.channel_id = COALESCE((SELECT q.channel_id FROM retention_policies q
		WHERE q.account_id = t.account_id AND q.channel_id = t.channel_id), '')
	WHERE t.account_id = $1 AND t.status = 'closed' AND t.conversation_id IS NOT NULL
	  AND t.updated_at < now() - make_interval(days => p.days)
	LIMIT $2`

// RetentionBatch deletes up to limit expired conversations of an account in one transaction (their
// messages with attachments and calls, timeline entries, tickets) and shreds their workflows' keys;
// it adds the counts to the account's run and returns how many conversations went.
func (s *Store) RetentionBatch(ctx context.Context, accountID, runID string, limit int) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var convs []string
		if err := tx.SelectContext(ctx, &convs, expiredConversations, accountID, limit); err != nil {
			return err
		}
		n = len(convs)
		p := ErasurePlan{AccountID: accountID, ConversationIDs: convs}
		if err := tx.SelectContext(ctx, &p.TicketIDs, `SELECT id FROM tickets WHERE conversation_id = ANY($1)`, convs); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE privacy_keys SET wrapped = NULL, erased_at = now() WHERE erased_at IS NULL AND workflow_id IN
			(SELECT workflow_id FROM conversations WHERE id = ANY($1))`, convs); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM calls WHERE message_id IN (SELECT id FROM messages WHERE account_id = $1 AND conversation_id = ANY($2))`,
			accountID, convs); err != nil {
			return err
		}
		for _, d := range erasureDeletes {
			if d.table == "messages" || d.table == "ignored_inbound" || d.table == "timeline_entries" || d.table == "tickets" || d.table == "conversations" {
				if _, err := tx.ExecContext(ctx, d.sql, d.args(p)...); err != nil {
					return fmt.Errorf("%s: %w", d.table, err)
				}
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO retention_runs (account_id, run_id, state, counts) VALUES ($1, $2, 'running', jsonb_build_object('conversations', $3::int))
			ON CONFLICT (account_id) DO UPDATE SET counts = CASE WHEN retention_runs.run_id = $2
				THEN jsonb_build_object('conversations', COALESCE((retention_runs.counts->>'conversations')::int, 0) + $3) ELSE EXCLUDED.counts END,
				started_at = CASE WHEN retention_runs.run_id = $2 THEN retention_runs.started_at ELSE now() END,
				finished_at = CASE WHEN retention_runs.run_id = $2 THEN retention_runs.finished_at END,
				run_id = $2, state = 'running'`, accountID, runID, n)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("retention of %s: %w", accountID, err)
	}
	return n, nil
}

// FinishRetention marks an account's run completed and puts it on the audit log.
func (s *Store) FinishRetention(ctx context.Context, accountID, runID string) error {
	var counts json.RawMessage
	err := s.db.GetContext(ctx, &counts, `INSERT INTO retention_runs (account_id, run_id, state, counts, finished_at)
		VALUES ($1, $2, 'completed', '{"conversations": 0}', now())
		ON CONFLICT (account_id) DO UPDATE SET state = 'completed', finished_at = COALESCE(retention_runs.finished_at, now()),
			counts = CASE WHEN retention_runs.run_id = $2 THEN retention_runs.counts ELSE EXCLUDED.counts END, run_id = $2
		RETURNING counts`, accountID, runID)
	if err != nil {
		return fmt.Errorf("finish retention of %s: %w", accountID, err)
	}
	return s.RecordAudit(ctx, AuditEntry{AccountID: accountID, Action: AuditRetention, Ref: runID, Actor: "system",
		SubjectKind: "account", SubjectID: accountID, Counts: counts})
}
