package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// reportGroupColumn is the report_facts column each grouping reads (the ticket's, kept current).
var reportGroupColumn = map[string]string{
	ReportGroupNone:    `''`,
	ReportGroupChannel: `channel_id`,
	ReportGroupTeam:    `team_id`,
	ReportGroupAgent:   `agent_id`,
}

// reportCellsSQL sums a report's facts per bucket, group and kind in one pass over the account's
// range (index report_facts_account_at), with the durations and ratings as arrays: the medians
// and percentiles of a cell, a group and the total are computed from them in Go, so nothing is
// sorted three times. %s is the group column. Parameters: $1 account, $2 from, $3 to, $4 channel,
// $5 team ("" = any), $6 the interval (date_trunc's field), $7 the time zone.
const reportCellsSQL = `
SELECT date_trunc($6::text, at, $7::text) AS bucket, %s COLLATE "C" AS grp, kind,
       count(*) AS n,
       count(*) FILTER (WHERE has_target AND NOT breached) AS met,
       COALESCE(array_agg(v) FILTER (WHERE v IS NOT NULL), '{}') AS vs,
       COALESCE(array_agg(business_v) FILTER (WHERE business_v IS NOT NULL), '{}') AS bvs
  FROM report_facts
 WHERE account_id = $1 AND at >= $2 AND at < $3 AND ($4 = '' OR channel_id = $4) AND ($5 = '' OR team_id = $5)
 GROUP BY 1, 2, 3`

// reportCellRow is one row of reportCellsSQL.
type reportCellRow struct {
	Bucket time.Time `db:"bucket"`
	Group  string    `db:"grp"`
	Kind   string    `db:"kind"`
	N      int64     `db:"n"`
	Met    int64     `db:"met"`
	Vs     []float64 `db:"vs"`
	BVs    []float64 `db:"bvs"`
}

// reportWorkMem is the memory of a report's statement: a year of a busy account's facts (about
// 300,000 rows) is grouped in memory instead of on disk.
const reportWorkMem = "64MB"

// reportCells reads a report's facts per cell (bucket and group) in a read-only transaction on the
// pool's connection itself: pgx's binary protocol brings the arrays of durations as float64s, where
// database/sql would parse them from text.
func (s *Store) reportCells(ctx context.Context, q ReportQuery) (map[cellKey]*reportAcc, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("report connection: %w", err)
	}
	defer conn.Close()
	cells := map[cellKey]*reportAcc{}
	err = conn.Raw(func(dc any) error {
		tx, err := dc.(*stdlib.Conn).Conn().BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		defer func() { _ = tx.Rollback(ctx) }() // read only: nothing to keep
		// JIT compiling the statement costs more than it saves at these sizes. The cells are few (a
		// year by agent: about 11,000), so hashing the facts into them beats sorting them, which the
		// planner picks otherwise: 350–460 ms against 480–800 ms for a year by team of 335,000 facts.
		if _, err := tx.Exec(ctx, "SET LOCAL work_mem = '"+reportWorkMem+"'; SET LOCAL jit = off; SET LOCAL enable_sort = off"); err != nil {
			return fmt.Errorf("set work_mem: %w", err)
		}
		rows, err := tx.Query(ctx, fmt.Sprintf(reportCellsSQL, reportGroupColumn[q.GroupBy]),
			q.AccountID, q.From, q.To, q.ChannelID, q.TeamID, q.Interval, q.Location.String())
		if err != nil {
			return err
		}
		defer rows.Close()
		var r reportCellRow
		for rows.Next() {
			if err := rows.Scan(&r.Bucket, &r.Group, &r.Kind, &r.N, &r.Met, &r.Vs, &r.BVs); err != nil {
				return err
			}
			k := cellKey{r.Bucket.Unix(), r.Group}
			if cells[k] == nil {
				cells[k] = &reportAcc{}
			}
			cells[k].add(r)
		}
		return rows.Err()
	})
	return cells, err
}

// Duration kinds of report facts, in the order reportAcc keeps them.
var reportDurations = []string{MeasureFirstResponse, MeasureNextResponse, MeasureResolution}

// reportAcc gathers a cell's, a group's or the whole range's facts.
type reportAcc struct {
	created, solved     int64
	durations, business [3][]float64 // by reportDurations
	met, breached       [3]int64
	ratings             []float64
}

// add counts one row of reportCellsSQL.
func (a *reportAcc) add(r reportCellRow) {
	switch r.Kind {
	case "created":
		a.created += r.N
	case "csat":
		a.ratings = append(a.ratings, r.Vs...)
	default:
		for i, d := range reportDurations {
			switch r.Kind {
			case d:
				a.durations[i] = append(a.durations[i], r.Vs...)
				a.business[i] = append(a.business[i], r.BVs...)
				a.met[i] += r.Met
				if d == MeasureResolution {
					a.solved += r.N
				}
			case "breached_" + d:
				a.breached[i] += r.N
			}
		}
	}
}

// merge adds another accumulator's facts.
func (a *reportAcc) merge(b *reportAcc) {
	a.created += b.created
	a.solved += b.solved
	for i := range reportDurations {
		a.durations[i] = append(a.durations[i], b.durations[i]...)
		a.business[i] = append(a.business[i], b.business[i]...)
		a.met[i] += b.met[i]
		a.breached[i] += b.breached[i]
	}
	a.ratings = append(a.ratings, b.ratings...)
}

// metrics are the figures of the gathered facts.
func (a *reportAcc) metrics() ReportMetrics {
	m := ReportMetrics{Created: a.created, Solved: a.solved}
	stats := [3]*DurationStats{&m.FirstResponse, &m.NextResponse, &m.Resolution}
	business := [3]*DurationStats{&m.FirstResponseBusiness, &m.NextResponseBusiness, &m.ResolutionBusiness}
	targets := [3]*SLATarget{&m.SLA.FirstResponse, &m.SLA.NextResponse, &m.SLA.Resolution}
	var met, decided int64
	for i := range reportDurations {
		*stats[i], *business[i] = durationStats(a.durations[i]), durationStats(a.business[i])
		*targets[i] = SLATarget{Met: a.met[i], Breached: a.breached[i], AchievedPercent: percent(a.met[i], a.met[i]+a.breached[i])}
		met, decided = met+a.met[i], decided+a.met[i]+a.breached[i]
	}
	m.SLA.AchievedPercent = percent(met, decided)
	m.CSAT.Responses = int64(len(a.ratings))
	if len(a.ratings) > 0 {
		var sum float64
		var satisfied int64
		for _, r := range a.ratings {
			sum += r
			if r >= 4 {
				satisfied++
			}
		}
		avg := sum / float64(len(a.ratings))
		m.CSAT.AverageRating, m.CSAT.SatisfiedPercent = &avg, percent(satisfied, m.CSAT.Responses)
	}
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

// durationStats are the count, median and 90th percentile of vs (sorted in place), interpolated as
// PostgreSQL's percentile_cont interpolates.
func durationStats(vs []float64) DurationStats {
	if len(vs) == 0 {
		return DurationStats{}
	}
	s := vs
	slices.Sort(s)
	median, p90 := percentileCont(s, 0.5), percentileCont(s, 0.9)
	return DurationStats{Count: int64(len(s)), MedianSeconds: &median, P90Seconds: &p90}
}

// percentileCont is the p-quantile of sorted s by linear interpolation between the closest ranks.
func percentileCont(s []float64, p float64) float64 {
	rank := p * float64(len(s)-1)
	lo, hi := int(math.Floor(rank)), int(math.Ceil(rank))
	return s[lo] + (rank-float64(lo))*(s[hi]-s[lo])
}
