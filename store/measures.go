package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Measures of a ticket, each taken once.
const (
	MeasureFirstResponse = "first_response"
	MeasureResolution    = "resolution"
	MeasureAgentWait     = "agent_wait"
)

// MeasureBuckets are the upper bounds (seconds) of the duration histograms: 30 s to 30 days.
// Changing them needs a migration that resets ticket_measure_histograms.
var MeasureBuckets = []float64{30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800, 2592000}

// measureTeamSQL is the team a ticket's measures are counted under: its own,
// else its agent's (the first by id), else "none".
const measureTeamSQL = `COALESCE(t.assignee_team_id,
	(SELECT min(tm.team_id) FROM team_members tm WHERE tm.user_id = t.assignee_user_id), 'none')`

// measure records a ticket's measure once (seconds is SQL over tickets t and
// the joins given), and adds it to the exported histogram in the same statement.
// It reports whether this call took it (false: taken before, or not applicable).
func measure(ctx context.Context, q sqlx.QueryerContext, kind, joins, seconds, where string, args ...any) (bool, error) {
	n := len(args)
	var took bool
	err := q.QueryRowxContext(ctx, fmt.Sprintf(
		`WITH m AS (
		   INSERT INTO ticket_measures (ticket_id, kind, seconds)
		   SELECT t.id, $%[1]d, greatest(%[2]s, 0) FROM tickets t %[3]s WHERE %[4]s
		   ON CONFLICT DO NOTHING RETURNING ticket_id, seconds),
		 h AS (
		   INSERT INTO ticket_measure_histograms AS h (kind, channel_type, team, counts, total, sum_seconds)
		   SELECT $%[1]d, COALESCE(ch.type, 'none'), %[5]s,
		          ARRAY(SELECT (m.seconds <= b)::int::bigint FROM unnest($%[6]d::float8[]) WITH ORDINALITY AS x(b, i) ORDER BY i),
		          1, m.seconds
		     FROM m JOIN tickets t ON t.id = m.ticket_id LEFT JOIN channels ch ON ch.id = t.channel_id
		   ON CONFLICT (kind, channel_type, team) DO UPDATE SET
		          counts = ARRAY(SELECT a + b FROM unnest(h.counts, EXCLUDED.counts) WITH ORDINALITY AS x(a, b, i) ORDER BY i),
		          total = h.total + 1, sum_seconds = h.sum_seconds + EXCLUDED.sum_seconds)
		 SELECT EXISTS (SELECT 1 FROM m)`, n+1, seconds, joins, where, measureTeamSQL, n+2),
		append(args, kind, MeasureBuckets)...).Scan(&took)
	if err != nil {
		return false, fmt.Errorf("measure %s: %w", kind, err)
	}
	return took, nil
}

// MeasureAgentWait records how long a ticket waited for its first agent (created to assigned).
func (s *Store) MeasureAgentWait(ctx context.Context, ticketID string) (bool, error) {
	return measureAgentWait(ctx, s.db, ticketID)
}

func measureAgentWait(ctx context.Context, q sqlx.QueryerContext, ticketID string) (bool, error) {
	return measure(ctx, q, MeasureAgentWait, "", `extract(epoch FROM t.assigned_at - t.created_at)`,
		`t.id = $1 AND t.assignee_user_id IS NOT NULL AND t.assigned_at IS NOT NULL`, ticketID)
}

// measureFirstResponse records the ticket's first response when messageID, an
// agent's reply a channel took, is the first: from the ticket's creation to when the agent sent it.
func measureFirstResponse(ctx context.Context, q sqlx.QueryerContext, accountID, messageID string) (bool, error) {
	return measure(ctx, q, MeasureFirstResponse,
		`JOIN messages r ON r.conversation_id = t.conversation_id`, `extract(epoch FROM r.sent_at - t.created_at)`,
		`r.id = $1 AND r.account_id = $2 AND t.account_id = $2 AND r.direction = 'outbound' AND r.author ? 'user_id'
		 AND r.status IN ('sent', 'delivered', 'read')`, messageID, accountID)
}

// measureNextResponse records, when messageID is an agent's reply a channel took that answers a
// customer's message written after the agent side's previous reply, the next response: from the
// first such message to the reply, counted when the reply went out (as the first response is), met when the ticket's policy has a next-response target and no
// next-response breach was recorded in between (once per reply; report_facts).
func measureNextResponse(ctx context.Context, q sqlx.ExecerContext, accountID, messageID string) error {
	if _, err := q.ExecContext(ctx, `
		WITH r AS (
		  SELECT m.id, m.conversation_id, m.sent_at FROM messages m
		   WHERE m.id = $1 AND m.account_id = $2 AND m.direction = 'outbound' AND m.author ? 'user_id'
		     AND m.status IN ('sent', 'delivered', 'read')),
		 prev AS (
		  SELECT max(p.sent_at) AS at FROM messages p JOIN r ON p.conversation_id = r.conversation_id
		   WHERE p.id <> r.id AND p.direction = 'outbound' AND p.author ? 'user_id' AND p.status IN ('sent', 'delivered', 'read')
		     AND p.sent_at <= r.sent_at),
		 c AS (
		  SELECT min(i.sent_at) AS at FROM messages i JOIN r ON i.conversation_id = r.conversation_id, prev
		   WHERE i.direction = 'inbound' AND i.sent_at > prev.at AND i.sent_at <= r.sent_at)
		INSERT INTO report_facts (ticket_id, account_id, kind, ref, at, v, start_at, policy_id, business, has_target, breached,
		                          channel_id, team_id, agent_id)
		SELECT t.id, t.account_id, $3, r.id, now(), greatest(extract(epoch FROM r.sent_at - c.at), 0), c.at,
		       COALESCE(t.sla_policy_id, ''), report_policy_business(t.sla_policy_id), report_policy_target(t.sla_policy_id, $3),
		       EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'SLABreached'
		                  AND e.data ->> 'target' = $3 AND e.created_at >= c.at),
		       COALESCE(t.channel_id, ''), COALESCE(t.assignee_team_id, ''), COALESCE(t.assignee_user_id, '')
		  FROM r JOIN tickets t ON t.conversation_id = r.conversation_id AND t.account_id = $2, c
		 WHERE c.at IS NOT NULL
		ON CONFLICT DO NOTHING`, messageID, accountID, MeasureNextResponse); err != nil {
		return fmt.Errorf("measure next response: %w", err)
	}
	return nil
}

// MeasureResolution records the ticket's resolution time (created to now), the first time it is resolved.
func (s *Store) MeasureResolution(ctx context.Context, accountID, ticketID string) (bool, error) {
	return measure(ctx, s.db, MeasureResolution, "", `extract(epoch FROM now() - t.created_at)`,
		`t.id = $1 AND t.account_id = $2`, ticketID, accountID)
}

// MeasureHistogram is one exported duration histogram: cumulative counts per MeasureBuckets bound.
type MeasureHistogram struct {
	Kind        string     `db:"kind"`
	ChannelType string     `db:"channel_type"`
	Team        string     `db:"team"`
	Counts      int64Array `db:"counts"`
	Total       uint64     `db:"total"`
	Sum         float64    `db:"sum_seconds"`
}

// MeasureHistograms returns every duration histogram.
func (s *Store) MeasureHistograms(ctx context.Context) ([]MeasureHistogram, error) {
	var out []MeasureHistogram
	if err := s.db.SelectContext(ctx, &out,
		`SELECT kind, channel_type, team, counts, total, sum_seconds FROM ticket_measure_histograms`); err != nil {
		return nil, fmt.Errorf("measure histograms: %w", err)
	}
	return out, nil
}

// OpenTicketCount is how many open tickets of a channel type are in a routing state.
type OpenTicketCount struct {
	ChannelType  string `db:"channel_type"`
	RoutingState string `db:"routing_state"`
	Tickets      int    `db:"tickets"`
}

// OpenTicketCounts counts the tickets not closed by channel type and routing state.
func (s *Store) OpenTicketCounts(ctx context.Context) ([]OpenTicketCount, error) {
	var out []OpenTicketCount
	if err := s.db.SelectContext(ctx, &out,
		`SELECT COALESCE(ch.type, 'none') AS channel_type, t.routing_state, count(*) AS tickets
		   FROM tickets t LEFT JOIN channels ch ON ch.id = t.channel_id
		  WHERE t.status NOT IN ('solved', 'closed') GROUP BY 1, 2`); err != nil {
		return nil, fmt.Errorf("open ticket counts: %w", err)
	}
	return out, nil
}

// TeamLoad is the open tickets and capacity of a team's agents (those with a
// service profile; team "none" is agents in no team).
type TeamLoad struct {
	Team        string `db:"team"`
	Agents      int    `db:"agents"`
	OpenTickets int    `db:"open_tickets"`
	Capacity    int    `db:"capacity"`
	AtCapacity  int    `db:"at_capacity"`
}

// TeamLoads sums agents' load against capacity per team.
func (s *Store) TeamLoads(ctx context.Context) ([]TeamLoad, error) {
	var out []TeamLoad
	if err := s.db.SelectContext(ctx, &out,
		`WITH a AS (
		   SELECT u.id, u.capacity,
		          (SELECT count(*) FROM tickets o WHERE o.assignee_user_id = u.id AND o.status NOT IN ('solved', 'closed')) AS load
		     FROM users u WHERE u.has_profile)
		 SELECT COALESCE(m.team_id, 'none') AS team, count(*) AS agents, COALESCE(sum(a.load), 0) AS open_tickets,
		        COALESCE(sum(a.capacity), 0) AS capacity, count(*) FILTER (WHERE a.load >= a.capacity) AS at_capacity
		   FROM a LEFT JOIN team_members m ON m.user_id = a.id GROUP BY 1`); err != nil {
		return nil, fmt.Errorf("team loads: %w", err)
	}
	return out, nil
}

// int64Array scans a PostgreSQL bigint[] through database/sql.
type int64Array []int64

// Scan implements sql.Scanner.
func (a *int64Array) Scan(src any) error {
	var out []int64
	if err := pgTypes.SQLScanner(&out).Scan(src); err != nil {
		return fmt.Errorf("scan bigint[]: %w", err)
	}
	*a = out
	return nil
}
