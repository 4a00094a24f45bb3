package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// RetentionPolicy deletes or anonymises an account's (or one channel's) conversations closed more than Days ago.
type RetentionPolicy struct {
	ChannelID string `db:"channel_id" json:"channel_id"`
	Days      int    `db:"days" json:"days"`
	// Action is RetentionDelete or RetentionAnonymise.
	Action string `db:"action" json:"action"`
}

// Retention actions: delete a conversation with its ticket, or anonymise it (the ticket and its
// figures stay, its content and the contact's traces go).
const (
	RetentionDelete    = "delete"
	RetentionAnonymise = "anonymise"
)

// RetentionActions are the actions a retention policy may have.
var RetentionActions = []string{RetentionDelete, RetentionAnonymise}

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

// DeleteRetentionPolicy removes the account's default policy (channelID "") or one channel's own;
// domain.ErrNotFound when there is none.
func (s *Store) DeleteRetentionPolicy(ctx context.Context, accountID, channelID string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM retention_policies WHERE account_id = $1 AND channel_id = $2`, accountID, channelID)
	if err != nil {
		return fmt.Errorf("delete retention policy: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("retention policy: %w", domain.ErrNotFound)
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

// FinishRetention marks an account's run completed and puts it on the audit log.
func (s *Store) FinishRetention(ctx context.Context, accountID, runID string) error {
	var counts json.RawMessage
	err := s.db.GetContext(ctx, &counts, `INSERT INTO retention_runs (account_id, run_id, state, counts, finished_at)
		VALUES ($1, $2, 'completed', '{"conversations": 0, "anonymised": 0}', now())
		ON CONFLICT (account_id) DO UPDATE SET state = 'completed', finished_at = COALESCE(retention_runs.finished_at, now()),
			counts = CASE WHEN retention_runs.run_id = $2 THEN retention_runs.counts ELSE EXCLUDED.counts END, run_id = $2
		RETURNING counts`, accountID, runID)
	if err != nil {
		return fmt.Errorf("finish retention of %s: %w", accountID, err)
	}
	return s.RecordAudit(ctx, AuditEntry{AccountID: accountID, Action: AuditRetention, Ref: runID, Actor: "system",
		SubjectKind: "account", SubjectID: accountID, Counts: counts})
}
