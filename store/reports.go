package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/routedesk/routedesk/domain"
)

// Report intervals and groupings (GET /v1/reports, docs/reports.md).
const (
	ReportDay  = "day"
	ReportWeek = "week"

	ReportGroupNone    = "none"
	ReportGroupChannel = "channel"
	ReportGroupTeam    = "team"
	ReportGroupAgent   = "agent"
)

// ReportIntervals and ReportGroups are the values interval and group_by take.
var (
	ReportIntervals = []string{ReportDay, ReportWeek}
	ReportGroups    = []string{ReportGroupNone, ReportGroupChannel, ReportGroupTeam, ReportGroupAgent}
)

// ReportQuery is one report of an account: events in [From, To), bucketed by Interval in Location
// (weeks start on Monday, ISO), per group of tickets, filtered by the ticket's channel and team.
type ReportQuery struct {
	AccountID string
	From, To  time.Time
	Interval  string
	Location  *time.Location
	GroupBy   string
	ChannelID string
	TeamID    string
}

// DurationStats summarise durations in seconds; Median and P90 are null when Count is 0.
type DurationStats struct {
	Count         int64    `json:"count"`
	MedianSeconds *float64 `json:"median_seconds"`
	P90Seconds    *float64 `json:"p90_seconds"`
}

// SLATarget counts one SLA target's outcomes; AchievedPercent is null when nothing was decided.
type SLATarget struct {
	Met             int64    `json:"met"`
	Breached        int64    `json:"breached"`
	AchievedPercent *float64 `json:"achieved_percent"`
}

// SLAStats are the outcomes of the first response and resolution targets and their joint share met.
type SLAStats struct {
	FirstResponse   SLATarget `json:"first_response"`
	Resolution      SLATarget `json:"resolution"`
	AchievedPercent *float64  `json:"achieved_percent"`
}

// CSATStats summarise answered surveys: how many, the mean rating, the share rated 4 or 5.
type CSATStats struct {
	Responses        int64    `json:"responses"`
	AverageRating    *float64 `json:"average_rating"`
	SatisfiedPercent *float64 `json:"satisfied_percent"`
}

// ReportMetrics are a report's figures for one bucket and group (or a total).
type ReportMetrics struct {
	// Created counts tickets created; Solved tickets resolved (solved or closed) for the first time.
	Created int64 `json:"created"`
	Solved  int64 `json:"solved"`
	// FirstResponse and Resolution are calendar time from the ticket's creation.
	FirstResponse DurationStats `json:"first_response"`
	Resolution    DurationStats `json:"resolution"`
	// FirstResponseBusiness and ResolutionBusiness are the same, in the business hours of the ticket's
	// SLA policy, over the tickets whose policy counts business hours only.
	FirstResponseBusiness DurationStats `json:"first_response_business"`
	ResolutionBusiness    DurationStats `json:"resolution_business"`
	SLA                   SLAStats      `json:"sla"`
	CSAT                  CSATStats     `json:"csat"`
}

// ReportBucket is one interval's figures for one group.
type ReportBucket struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Group string    `json:"group"`
	ReportMetrics
}

// ReportGroupTotal is a group's figures over the whole range.
type ReportGroupTotal struct {
	Group string `json:"group"`
	ReportMetrics
}

// ReportGroup names a group: a channel, team or agent ("" is tickets without one).
type ReportGroup struct {
	ID   string `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// Report is GET /v1/reports' answer.
type Report struct {
	From        time.Time          `json:"from"`
	To          time.Time          `json:"to"`
	Interval    string             `json:"interval"`
	TZ          string             `json:"tz"`
	GroupBy     string             `json:"group_by"`
	Groups      []ReportGroup      `json:"groups"`
	Buckets     []ReportBucket     `json:"buckets"`
	GroupTotals []ReportGroupTotal `json:"group_totals"`
	Total       ReportMetrics      `json:"total"`
}

// reportGroupSQL is the ticket column each grouping reads.
var reportGroupSQL = map[string]string{
	ReportGroupNone:    `''`,
	ReportGroupChannel: `COALESCE(t.channel_id, '')`,
	ReportGroupTeam:    `COALESCE(t.assignee_team_id, '')`,
	ReportGroupAgent:   `COALESCE(t.assignee_user_id, '')`,
}

// reportFactsSQL lists a report's events, one row each: when, what, its value (seconds or a
// rating), the ticket's group and, for a first response or resolution, whether it met its SLA
// target (the ticket's policy has one and it was never breached). %[1]s is the group expression,
// %[2]s the ticket filter. Parameters: $1 account, $2 from, $3 to, $4 channel, $5 team ("" = any).
const reportFactsSQL = `
  SELECT t.created_at AS at, 'created' AS kind, NULL::float8 AS v, %[1]s AS grp, false AS met
    FROM tickets t WHERE t.account_id = $1 AND t.created_at >= $2 AND t.created_at < $3 %[2]s
  UNION ALL
  SELECT m.measured_at, m.kind, m.seconds, %[1]s,
         COALESCE((p.definition -> 'targets' ->> (m.kind || '_minutes'))::int, 0) > 0
         AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'SLABreached' AND e.data ->> 'target' = m.kind)
    FROM ticket_measures m JOIN tickets t ON t.id = m.ticket_id LEFT JOIN sla_policies p ON p.id = t.sla_policy_id
   WHERE m.kind IN ('first_response', 'resolution') AND m.measured_at >= $2 AND m.measured_at < $3
     AND t.account_id = $1 %[2]s
  UNION ALL
  SELECT b.at, 'breached_' || b.target, NULL, %[1]s, false
    FROM (SELECT DISTINCT ON (e.ticket_id, e.data ->> 'target') e.ticket_id, e.data ->> 'target' AS target, e.created_at AS at
            FROM ticket_events e
           WHERE e.kind = 'SLABreached' AND e.created_at >= $2 AND e.created_at < $3
             AND e.data ->> 'target' IN ('first_response', 'resolution')
           ORDER BY e.ticket_id, e.data ->> 'target', e.id) b
    JOIN tickets t ON t.id = b.ticket_id
   WHERE t.account_id = $1 %[2]s
  UNION ALL
  SELECT c.answered_at, 'csat', c.rating, %[1]s, false
    FROM csat_surveys c JOIN tickets t ON t.id = c.ticket_id
   WHERE c.account_id = $1 AND c.rating IS NOT NULL AND c.answered_at >= $2 AND c.answered_at < $3
     AND t.account_id = $1 %[2]s`

// reportSQL aggregates the facts per bucket and group, per group and overall (GROUPING SETS);
// $6 is the interval (date_trunc's field), $7 the time zone. level is 0 for a cell, 2 for a group's
// total, 3 for the total.
const reportSQL = `
WITH facts AS (%s)
SELECT GROUPING(bucket, grp) AS level, COALESCE(bucket, 'epoch'::timestamptz) AS bucket, COALESCE(grp, '') AS grp,
       count(*) FILTER (WHERE kind = 'created') AS created,
       count(*) FILTER (WHERE kind = 'resolution') AS solved,
       count(*) FILTER (WHERE kind = 'first_response') AS fr_count,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FILTER (WHERE kind = 'first_response') AS fr_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FILTER (WHERE kind = 'first_response') AS fr_p90,
       count(*) FILTER (WHERE kind = 'resolution') AS res_count,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FILTER (WHERE kind = 'resolution') AS res_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FILTER (WHERE kind = 'resolution') AS res_p90,
       count(*) FILTER (WHERE kind = 'first_response' AND met) AS fr_met,
       count(*) FILTER (WHERE kind = 'breached_first_response') AS fr_breached,
       count(*) FILTER (WHERE kind = 'resolution' AND met) AS res_met,
       count(*) FILTER (WHERE kind = 'breached_resolution') AS res_breached,
       count(*) FILTER (WHERE kind = 'csat') AS csat_count,
       avg(v) FILTER (WHERE kind = 'csat') AS csat_avg,
       count(*) FILTER (WHERE kind = 'csat' AND v >= 4) AS csat_satisfied
  FROM (SELECT date_trunc($6::text, at, $7::text) AS bucket, grp COLLATE "C" AS grp, kind, v, met FROM facts) f
 GROUP BY GROUPING SETS ((bucket, grp), (grp), ())`

// reportRow is one row of reportSQL.
type reportRow struct {
	Level         int       `db:"level"`
	Bucket        time.Time `db:"bucket"`
	Group         string    `db:"grp"`
	Created       int64     `db:"created"`
	Solved        int64     `db:"solved"`
	FRCount       int64     `db:"fr_count"`
	FRMedian      *float64  `db:"fr_median"`
	FRP90         *float64  `db:"fr_p90"`
	ResCount      int64     `db:"res_count"`
	ResMedian     *float64  `db:"res_median"`
	ResP90        *float64  `db:"res_p90"`
	FRMet         int64     `db:"fr_met"`
	FRBreached    int64     `db:"fr_breached"`
	ResMet        int64     `db:"res_met"`
	ResBreached   int64     `db:"res_breached"`
	CSATCount     int64     `db:"csat_count"`
	CSATAvg       *float64  `db:"csat_avg"`
	CSATSatisfied int64     `db:"csat_satisfied"`
}

func (r reportRow) metrics() ReportMetrics {
	m := ReportMetrics{
		Created: r.Created, Solved: r.Solved,
		FirstResponse: DurationStats{Count: r.FRCount, MedianSeconds: r.FRMedian, P90Seconds: r.FRP90},
		Resolution:    DurationStats{Count: r.ResCount, MedianSeconds: r.ResMedian, P90Seconds: r.ResP90},
		SLA: SLAStats{
			FirstResponse: SLATarget{Met: r.FRMet, Breached: r.FRBreached, AchievedPercent: percent(r.FRMet, r.FRMet+r.FRBreached)},
			Resolution:    SLATarget{Met: r.ResMet, Breached: r.ResBreached, AchievedPercent: percent(r.ResMet, r.ResMet+r.ResBreached)},
		},
		CSAT: CSATStats{Responses: r.CSATCount, AverageRating: r.CSATAvg, SatisfiedPercent: percent(r.CSATSatisfied, r.CSATCount)},
	}
	met := r.FRMet + r.ResMet
	m.SLA.AchievedPercent = percent(met, met+r.FRBreached+r.ResBreached)
	return m
}

// percent is 100·n/of, null when of is 0.
func percent(n, of int64) *float64 {
	if of == 0 {
		return nil
	}
	v := 100 * float64(n) / float64(of)
	return &v
}

// reportFilter is the ticket filter of a query's channel and team.
const reportFilter = ` AND ($4 = '' OR t.channel_id = $4) AND ($5 = '' OR t.assignee_team_id = $5)`

// Report computes a report (the query is validated by the caller: a known interval and grouping,
// From before To, a location).
func (s *Store) Report(ctx context.Context, q ReportQuery) (Report, error) {
	grp, ok := reportGroupSQL[q.GroupBy]
	if !ok {
		return Report{}, domain.Invalid("group_by", "must be one of "+strings.Join(ReportGroups, ", "))
	}
	out := Report{From: q.From, To: q.To, Interval: q.Interval, TZ: q.Location.String(), GroupBy: q.GroupBy,
		Groups: []ReportGroup{}, Buckets: []ReportBucket{}, GroupTotals: []ReportGroupTotal{}}
	rows, err := s.reportRows(ctx, q, grp)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "22023" { // a zone Go knows and PostgreSQL does not
		return Report{}, domain.Invalid("tz", "is not a time zone PostgreSQL knows")
	}
	if err != nil {
		return Report{}, fmt.Errorf("report: %w", err)
	}
	business, err := s.reportBusiness(ctx, q, grp)
	if err != nil {
		return Report{}, err
	}
	cells := map[cellKey]ReportMetrics{}
	totals := map[string]ReportMetrics{}
	var groups []string
	for _, r := range rows {
		switch r.Level {
		case 0:
			cells[cellKey{r.Bucket.Unix(), r.Group}] = r.metrics()
		case 2: // the bucket aggregated away: the group's total
			totals[r.Group] = r.metrics()
			groups = append(groups, r.Group)
		default:
			out.Total = r.metrics()
		}
	}
	if q.GroupBy == ReportGroupNone {
		groups = []string{""}
	}
	business.apply(&out.Total, cells, totals)
	starts := bucketStarts(q)
	if out.Groups, err = s.reportGroups(ctx, q, groups); err != nil {
		return Report{}, err
	}
	for _, g := range out.Groups {
		for i, start := range starts {
			end := q.To
			if i+1 < len(starts) {
				end = starts[i+1]
			}
			out.Buckets = append(out.Buckets, ReportBucket{Start: start, End: end, Group: g.ID, ReportMetrics: cells[cellKey{start.Unix(), g.ID}]})
		}
		if q.GroupBy != ReportGroupNone {
			out.GroupTotals = append(out.GroupTotals, ReportGroupTotal{Group: g.ID, ReportMetrics: totals[g.ID]})
		}
	}
	if q.GroupBy == ReportGroupNone {
		out.GroupTotals = append(out.GroupTotals, ReportGroupTotal{Group: "", ReportMetrics: out.Total})
	}
	return out, nil
}

// reportWorkMem is the sort memory of a report's statement: a year of a busy account's facts
// (about 300,000 rows) sorts in memory instead of on disk.
const reportWorkMem = "64MB"

// reportRows runs reportSQL in a read-only transaction with reportWorkMem.
func (s *Store) reportRows(ctx context.Context, q ReportQuery, grp string) ([]reportRow, error) {
	var rows []reportRow
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // read only: nothing to keep
	// JIT compiling the statement costs more than it saves at these sizes.
	if _, err := tx.ExecContext(ctx, "SET LOCAL work_mem = '"+reportWorkMem+"'; SET LOCAL jit = off"); err != nil {
		return nil, fmt.Errorf("set work_mem: %w", err)
	}
	err = tx.SelectContext(ctx, &rows, fmt.Sprintf(reportSQL, fmt.Sprintf(reportFactsSQL, grp, reportFilter)),
		q.AccountID, q.From, q.To, q.ChannelID, q.TeamID, q.Interval, q.Location.String())
	return rows, err
}

// cellKey is a bucket (its start, Unix seconds) and a group.
type cellKey struct {
	start int64
	group string
}

// bucketStarts are the starts of the query's buckets in its zone: the first is the day or
// ISO week holding From (so it may start before From); the last starts before To.
func bucketStarts(q ReportQuery) []time.Time {
	var out []time.Time
	for at := truncate(q.From, q.Interval, q.Location); at.Before(q.To); {
		out = append(out, at)
		y, m, d := at.Date()
		if q.Interval == ReportWeek {
			d += 7
		} else {
			d++
		}
		at = time.Date(y, m, d, 0, 0, 0, 0, q.Location)
	}
	return out
}

// truncate is the start of the day or ISO week (Monday) holding t in loc, as date_trunc computes it.
func truncate(t time.Time, interval string, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	if interval == ReportWeek {
		d -= (int(time.Date(y, m, d, 12, 0, 0, 0, loc).Weekday()) + 6) % 7
	}
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}
