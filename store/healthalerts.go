package store

import (
	"context"
	"fmt"
	"time"
)

// HealthAlert is one queued email telling an admin that a channel started failing.
type HealthAlert struct {
	ID          int64     `db:"id"`
	AccountID   string    `db:"account_id"`
	ChannelID   string    `db:"channel_id"`
	ChannelName string    `db:"channel_name"`
	ChannelType string    `db:"channel_type"`
	Component   string    `db:"component"`
	Reason      string    `db:"reason"`
	Recipient   string    `db:"recipient"`
	CreatedAt   time.Time `db:"created_at"`
	Attempts    int       `db:"attempts"`
}

// ClaimHealthAlerts takes up to limit due alerts for hold (no other process
// takes them meanwhile) and counts the attempt.
func (s *Store) ClaimHealthAlerts(ctx context.Context, limit int, hold time.Duration) ([]HealthAlert, error) {
	var out []HealthAlert
	err := s.db.SelectContext(ctx, &out,
		`WITH due AS (
		   SELECT id FROM channel_health_alerts
		    WHERE sent_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= now()
		    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
		 UPDATE channel_health_alerts a SET attempts = a.attempts + 1, next_attempt_at = now() + $2::interval
		   FROM due, channels c
		  WHERE a.id = due.id AND c.id = a.channel_id
		 RETURNING a.id, a.account_id, a.channel_id, c.name AS channel_name, c.type AS channel_type,
		           a.component, a.reason, a.recipient, a.created_at, a.attempts`,
		limit, fmt.Sprintf("%d milliseconds", hold.Milliseconds()))
	if err != nil {
		return nil, fmt.Errorf("claim health alerts: %w", err)
	}
	return out, nil
}

// HealthAlertSent marks an alert sent.
func (s *Store) HealthAlertSent(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE channel_health_alerts SET sent_at = now(), last_error = '' WHERE id = $1`, id); err != nil {
		return fmt.Errorf("mark health alert sent: %w", err)
	}
	return nil
}

// HealthAlertFailed records a failed attempt: retried at retryAt, or given up when giveUp.
func (s *Store) HealthAlertFailed(ctx context.Context, id int64, reason string, retryAt time.Time, giveUp bool) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE channel_health_alerts SET last_error = $2, next_attempt_at = $3,
		        given_up_at = CASE WHEN $4 THEN now() END WHERE id = $1`, id, reason, retryAt, giveUp)
	if err != nil {
		return fmt.Errorf("mark health alert failed: %w", err)
	}
	return nil
}
