package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/health"
)

// healthTimeout bounds a health write, so a slow database never holds up the caller for long.
const healthTimeout = 5 * time.Second

// successRefresh is how stale an ok component's last success may get before a
// success is written again (every poll or send would otherwise write a row).
const successRefresh = 30 * time.Second

type healthRow struct {
	ChannelID     string       `db:"channel_id"`
	Component     string       `db:"component"`
	State         string       `db:"state"`
	Reason        string       `db:"reason"`
	Since         time.Time    `db:"since"`
	LastSuccessAt sql.NullTime `db:"last_success_at"`
	Failures      int          `db:"failures"`
	FirstFailure  sql.NullTime `db:"first_failure_at"`
}

func (r healthRow) record() health.Record {
	return health.Record{State: r.State, Reason: r.Reason, Since: r.Since, LastSuccess: r.LastSuccessAt.Time,
		Failures: r.Failures, FirstFailure: r.FirstFailure.Time}
}

// RecordHealth records the outcome of one attempt of a channel's component
// (health.IMAP, health.SMTP, …): err nil is a success, an error a failure
// described by health.Describe; an error that concerns one message (a refused
// recipient, a closed window) shows the component answering, so it counts as a success. When the channel starts failing, its account's
// admins are queued an email (once per transition). Best effort: it never
// fails its caller, and a write it cannot make is logged.
func (s *Store) RecordHealth(ctx context.Context, channelID, component string, err error) {
	if channelID == "" || component == "" {
		return
	}
	p := health.Describe(component, err) // nil also for a failure of one message: the component answered
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healthTimeout)
	defer cancel()
	var werr error
	if p == nil {
		werr = s.recordSuccess(ctx, channelID, component)
	} else {
		werr = s.recordFailure(ctx, channelID, component, p)
	}
	if werr != nil {
		slog.Default().WarnContext(ctx, "record channel health", "channel_id", channelID, "component", component, "error", werr)
	}
}

func (s *Store) recordSuccess(ctx context.Context, channelID, component string) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO channel_health (channel_id, component, state, since, last_success_at)
		 SELECT id, $2, 'ok', now(), now() FROM channels WHERE id = $1
		 ON CONFLICT (channel_id, component) DO UPDATE SET state = 'ok', reason = '', failures = 0, first_failure_at = NULL,
		        since = CASE WHEN channel_health.state = 'ok' THEN channel_health.since ELSE now() END,
		        last_success_at = now(), updated_at = now()
		  WHERE channel_health.state <> 'ok' OR channel_health.last_success_at IS NULL
		     OR channel_health.last_success_at < now() - $3::interval`,
		channelID, component, fmt.Sprintf("%d milliseconds", successRefresh.Milliseconds()))
	if err != nil {
		return fmt.Errorf("record health success: %w", err)
	}
	return nil
}

func (s *Store) recordFailure(ctx context.Context, channelID, component string, p *health.Problem) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		// one health write per channel at a time, so a transition is seen (and alerted) once
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('channel_health:' || $1))`, channelID); err != nil {
			return fmt.Errorf("record health: lock: %w", err)
		}
		var accountID string
		if err := tx.GetContext(ctx, &accountID, `SELECT account_id FROM channels WHERE id = $1`, channelID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil // deleted meanwhile: nothing to report on
			}
			return fmt.Errorf("record health: read channel: %w", err)
		}
		var rows []healthRow
		if err := tx.SelectContext(ctx, &rows,
			`SELECT channel_id, component, state, reason, since, last_success_at, failures, first_failure_at
			   FROM channel_health WHERE channel_id = $1 ORDER BY component`, channelID); err != nil {
			return fmt.Errorf("record health: read: %w", err)
		}
		var prev health.Record
		before := health.OK
		for _, r := range rows {
			before = health.Worst(before, r.State)
			if r.Component == component {
				prev = r.record()
			}
		}
		next := health.Next(prev, p, time.Now())
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO channel_health (channel_id, component, state, reason, since, last_success_at, failures, first_failure_at, failures_total)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)
			 ON CONFLICT (channel_id, component) DO UPDATE SET state = $3, reason = $4, since = $5, last_success_at = $6,
			        failures = $7, first_failure_at = $8, failures_total = channel_health.failures_total + 1, updated_at = now()`,
			channelID, component, next.State, next.Reason, next.Since, nullTime(next.LastSuccess), next.Failures, nullTime(next.FirstFailure)); err != nil {
			return fmt.Errorf("record health: %w", err)
		}
		if next.State != health.Failing || before == health.Failing {
			return nil
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO channel_health_alerts (account_id, channel_id, component, reason, recipient)
			 SELECT DISTINCT $1, $2, $3, $4, u.email FROM api_tokens t JOIN users u ON u.id = t.user_id
			  WHERE t.account_id = $1 AND t.role = 'admin' AND u.account_id = $1`,
			accountID, channelID, component, next.Reason); err != nil {
			return fmt.Errorf("record health: queue the admins' alert: %w", err)
		}
		return nil
	})
}

func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }

// ChannelHealth fills the Health of the account's channels from their components' records.
func (s *Store) ChannelHealth(ctx context.Context, accountID string, chans []domain.Channel) error {
	if len(chans) == 0 {
		return nil
	}
	ids := make([]string, len(chans))
	for i, ch := range chans {
		ids[i] = ch.ID
	}
	var rows []healthRow
	if err := s.db.SelectContext(ctx, &rows,
		`SELECT h.channel_id, h.component, h.state, h.reason, h.since, h.last_success_at, h.failures, h.first_failure_at
		   FROM channel_health h JOIN channels c ON c.id = h.channel_id
		  WHERE c.account_id = $1 AND h.channel_id = ANY($2) ORDER BY h.channel_id, h.component`, accountID, ids); err != nil {
		return fmt.Errorf("read channel health: %w", err)
	}
	byChannel := map[string][]healthRow{}
	for _, r := range rows {
		byChannel[r.ChannelID] = append(byChannel[r.ChannelID], r)
	}
	checks, err := s.graphCheckTimes(ctx, accountID, ids)
	if err != nil {
		return err
	}
	for i := range chans {
		chans[i].Health = summarize(chans[i], byChannel[chans[i].ID])
		if t, ok := checks[chans[i].ID]; ok {
			chans[i].Health.LastWebhookAt, chans[i].Health.CheckedAt = t[0], t[1]
		}
	}
	return nil
}

// summarize is a channel's health from its components': the worst state, the
// reason of its most recent failure, since the earliest component in that state.
func summarize(ch domain.Channel, rows []healthRow) *domain.ChannelHealth {
	created := ch.CreatedAt
	h := &domain.ChannelHealth{State: health.OK, Since: &created, Components: []domain.ComponentHealth{}}
	var worstSince, lastFailure time.Time
	for _, r := range rows {
		c := domain.ComponentHealth{Component: r.Component, State: r.State, Reason: r.Reason, Since: r.Since}
		if r.LastSuccessAt.Valid {
			t := r.LastSuccessAt.Time
			c.LastSuccessAt = &t
			if h.LastSuccessAt == nil || t.After(*h.LastSuccessAt) {
				h.LastSuccessAt = &t
			}
		}
		h.Components = append(h.Components, c)
		switch {
		case health.Worst(h.State, r.State) != h.State:
			h.State, h.Reason, worstSince, lastFailure = r.State, r.Reason, r.Since, r.Since
		case r.State == h.State && r.State != health.OK:
			if r.Since.Before(worstSince) {
				worstSince = r.Since
			}
			if r.Since.After(lastFailure) {
				h.Reason, lastFailure = r.Reason, r.Since
			}
		}
	}
	if !worstSince.IsZero() {
		h.Since = &worstSince
	} else if len(rows) > 0 {
		// ok: since the most recent recovery
		for _, r := range rows {
			if r.Since.After(*h.Since) {
				t := r.Since
				h.Since = &t
			}
		}
	}
	return h
}

// HealthCount is how many channels of a type are in a state (for /metrics).
type HealthCount struct {
	ChannelType string `db:"type"`
	State       string `db:"state"`
	Channels    int    `db:"n"`
}

// ComponentFailures is how many failures the channels of a type's component have recorded (for /metrics).
type ComponentFailures struct {
	ChannelType string `db:"type"`
	Component   string `db:"component"`
	Failures    int64  `db:"n"`
}

// HealthCounts counts the connected channels per type and health state (a
// channel without records is ok), and the failures per type and component.
func (s *Store) HealthCounts(ctx context.Context) ([]HealthCount, []ComponentFailures, error) {
	var counts []HealthCount
	if err := s.db.SelectContext(ctx, &counts,
		`SELECT c.type, COALESCE(w.state, 'ok') AS state, count(*) AS n
		   FROM channels c LEFT JOIN LATERAL (
		        SELECT CASE WHEN bool_or(h.state = 'failing') THEN 'failing' WHEN bool_or(h.state = 'degraded') THEN 'degraded' ELSE 'ok' END AS state
		          FROM channel_health h WHERE h.channel_id = c.id) w ON true
		  WHERE c.status = 'connected' GROUP BY 1, 2`); err != nil {
		return nil, nil, fmt.Errorf("count channel health: %w", err)
	}
	var failures []ComponentFailures
	if err := s.db.SelectContext(ctx, &failures,
		`SELECT c.type, h.component, sum(h.failures_total)::bigint AS n
		   FROM channel_health h JOIN channels c ON c.id = h.channel_id GROUP BY 1, 2`); err != nil {
		return nil, nil, fmt.Errorf("count channel failures: %w", err)
	}
	return counts, failures, nil
}
