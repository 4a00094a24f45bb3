package store

import (
	"context"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// webhookRefresh is how stale a channel's last_webhook_at may get before a delivery writes it again.
const webhookRefresh = 30 * time.Second

// RecordWebhook notes that a signed webhook delivery for the channel arrived now
// (written at most every 30 s). Best effort: the delivery is taken either way.
func (s *Store) RecordWebhook(ctx context.Context, channelID string) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO graph_checks (channel_id, last_webhook_at) SELECT id, now() FROM channels WHERE id = $1
		 ON CONFLICT (channel_id) DO UPDATE SET last_webhook_at = now()
		  WHERE graph_checks.last_webhook_at IS NULL OR graph_checks.last_webhook_at < now() - $2::interval`,
		channelID, fmt.Sprintf("%d milliseconds", webhookRefresh.Milliseconds()))
	if err != nil {
		return fmt.Errorf("record webhook delivery: %w", err)
	}
	return nil
}

// GraphCheck is a claimed check of one channel.
type GraphCheck struct {
	Channel  domain.Channel
	Failures int
}

// ClaimGraphChecks claims up to n connected Messenger and WhatsApp channels whose
// check is due, pushing their next check lease ahead so no other server checks
// them meanwhile; a server that dies mid-check leaves them due again when the lease ends.
func (s *Store) ClaimGraphChecks(ctx context.Context, n int, lease time.Duration) ([]GraphCheck, error) {
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO graph_checks (channel_id) SELECT id FROM channels
		  WHERE type IN ('messenger', 'whatsapp') AND status = 'connected' ON CONFLICT DO NOTHING`); err != nil {
		return nil, fmt.Errorf("claim graph checks: add new channels: %w", err)
	}
	var claimed []struct {
		ChannelID string `db:"channel_id"`
		AccountID string `db:"account_id"`
		Failures  int    `db:"failures"`
	}
	if err := s.db.SelectContext(ctx, &claimed,
		`UPDATE graph_checks g SET next_check_at = now() + $2::interval FROM channels c
		  WHERE g.channel_id = c.id AND g.channel_id IN (
		        SELECT g2.channel_id FROM graph_checks g2 JOIN channels c2 ON c2.id = g2.channel_id
		         WHERE g2.next_check_at <= now() AND c2.status = 'connected' AND c2.type IN ('messenger', 'whatsapp')
		         ORDER BY g2.next_check_at LIMIT $1 FOR UPDATE OF g2 SKIP LOCKED)
		  RETURNING g.channel_id, c.account_id, g.failures`,
		n, fmt.Sprintf("%d milliseconds", lease.Milliseconds())); err != nil {
		return nil, fmt.Errorf("claim graph checks: %w", err)
	}
	out := make([]GraphCheck, 0, len(claimed))
	for _, c := range claimed {
		ch, err := s.Channel(ctx, c.AccountID, c.ChannelID)
		if err != nil {
			return out, fmt.Errorf("claim graph checks: read channel: %w", err)
		}
		out = append(out, GraphCheck{Channel: ch, Failures: c.Failures})
	}
	return out, nil
}

// GraphCheckDone records a check's outcome: the next one is due after next;
// failed counts it towards the backoff (a success resets it).
func (s *Store) GraphCheckDone(ctx context.Context, channelID string, failed bool, next time.Duration) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE graph_checks SET checked_at = now(), next_check_at = now() + $2::interval,
		        failures = CASE WHEN $3 THEN failures + 1 ELSE 0 END WHERE channel_id = $1`,
		channelID, fmt.Sprintf("%d milliseconds", next.Milliseconds()), failed)
	if err != nil {
		return fmt.Errorf("record graph check: %w", err)
	}
	return nil
}

// graphCheckTimes fills the webhook and check times of the account's Meta channels' health.
func (s *Store) graphCheckTimes(ctx context.Context, accountID string, ids []string) (map[string][2]*time.Time, error) {
	var rows []struct {
		ChannelID string     `db:"channel_id"`
		Webhook   *time.Time `db:"last_webhook_at"`
		Checked   *time.Time `db:"checked_at"`
	}
	if err := s.db.SelectContext(ctx, &rows,
		`SELECT g.channel_id, g.last_webhook_at, g.checked_at FROM graph_checks g JOIN channels c ON c.id = g.channel_id
		  WHERE c.account_id = $1 AND g.channel_id = ANY($2)`, accountID, ids); err != nil {
		return nil, fmt.Errorf("read graph checks: %w", err)
	}
	out := map[string][2]*time.Time{}
	for _, r := range rows {
		out[r.ChannelID] = [2]*time.Time{r.Webhook, r.Checked}
	}
	return out, nil
}
