package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/routedesk/routedesk/sla"
)

// businessRow is a first response or resolution of a ticket whose SLA policy counts business hours.
type businessRow struct {
	Kind       string    `db:"kind"`
	CreatedAt  time.Time `db:"created_at"`
	Seconds    float64   `db:"seconds"`
	MeasuredAt time.Time `db:"measured_at"`
	PolicyID   string    `db:"policy_id"`
	Group      string    `db:"grp"`
}

// businessSQL lists the measures of the range whose ticket's policy counts business hours only
// (%[1]s the group expression, %[2]s the ticket filter; parameters as reportFactsSQL's).
const businessSQL = `
SELECT m.kind, t.created_at, m.seconds, m.measured_at, p.id AS policy_id, %[1]s AS grp
  FROM ticket_measures m JOIN tickets t ON t.id = m.ticket_id JOIN sla_policies p ON p.id = t.sla_policy_id
 WHERE m.kind IN ('first_response', 'resolution') AND m.measured_at >= $2 AND m.measured_at < $3
   AND t.account_id = $1 %[2]s AND COALESCE((p.definition ->> 'business_hours_only')::boolean, false)`

// businessTimes are business-time durations (seconds) by measure: [0] first response, [1] resolution.
type businessTimes [2][]float64

// businessFigures are the business-time durations of a report per cell, per group and overall.
type businessFigures struct {
	cells  map[cellKey]*businessTimes
	groups map[string]*businessTimes
	all    businessTimes
}

// reportBusiness measures, in the business hours of each ticket's SLA policy, the open time from the
// ticket's creation to its first response and to its resolution (pauses are not subtracted: the
// workflow keeps them, not PostgreSQL).
func (s *Store) reportBusiness(ctx context.Context, q ReportQuery, grp string) (businessFigures, error) {
	out := businessFigures{cells: map[cellKey]*businessTimes{}, groups: map[string]*businessTimes{}}
	var rows []businessRow
	if err := s.db.SelectContext(ctx, &rows, fmt.Sprintf(businessSQL, grp, reportFilter),
		q.AccountID, q.From, q.To, q.ChannelID, q.TeamID); err != nil {
		return out, fmt.Errorf("report business hours: %w", err)
	}
	if len(rows) == 0 {
		return out, nil
	}
	policies, err := s.SLAPolicies(ctx, q.AccountID)
	if err != nil {
		return out, err
	}
	clocks := map[string]*sla.Meter{}
	for _, p := range policies {
		clocks[p.ID] = sla.NewMeter(p.Clock())
	}
	for _, r := range rows {
		meter, ok := clocks[r.PolicyID]
		if !ok {
			continue // deleted since the query began
		}
		i := 0
		if r.Kind == MeasureResolution {
			i = 1
		}
		end := r.CreatedAt.Add(time.Duration(r.Seconds * float64(time.Second)))
		v := meter.Elapsed(r.CreatedAt, end).Seconds() // sla.Elapsed without pauses, each day's hours computed once
		key := cellKey{truncate(r.MeasuredAt, q.Interval, q.Location).Unix(), r.Group}
		if out.cells[key] == nil {
			out.cells[key] = &businessTimes{}
		}
		if out.groups[r.Group] == nil {
			out.groups[r.Group] = &businessTimes{}
		}
		out.cells[key][i] = append(out.cells[key][i], v)
		out.groups[r.Group][i] = append(out.groups[r.Group][i], v)
		out.all[i] = append(out.all[i], v)
	}
	return out, nil
}

// apply sets the business-time figures of the total, the cells and the group totals.
func (b businessFigures) apply(total *ReportMetrics, cells map[cellKey]ReportMetrics, groups map[string]ReportMetrics) {
	set := func(m *ReportMetrics, t *businessTimes) {
		if t != nil {
			m.FirstResponseBusiness, m.ResolutionBusiness = durationStats(t[0]), durationStats(t[1])
		}
	}
	set(total, &b.all)
	for k, t := range b.cells {
		m := cells[k]
		set(&m, t)
		cells[k] = m
	}
	for g, t := range b.groups {
		m := groups[g]
		set(&m, t)
		groups[g] = m
	}
}

// durationStats are the count, median and 90th percentile of vs, interpolated as PostgreSQL's
// percentile_cont interpolates.
func durationStats(vs []float64) DurationStats {
	if len(vs) == 0 {
		return DurationStats{}
	}
	s := slices.Clone(vs)
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

// reportGroupTables names the table holding each grouping's names.
var reportGroupTables = map[string]string{ReportGroupChannel: "channels", ReportGroupTeam: "teams", ReportGroupAgent: "users"}

// reportGroups names the groups (ordered by name, the group of tickets without one last).
func (s *Store) reportGroups(ctx context.Context, q ReportQuery, ids []string) ([]ReportGroup, error) {
	table, ok := reportGroupTables[q.GroupBy]
	if !ok {
		return []ReportGroup{{ID: "", Name: "All tickets"}}, nil
	}
	var named []ReportGroup
	if err := s.db.SelectContext(ctx, &named, `SELECT id, name FROM `+table+` WHERE account_id = $1 AND id = ANY($2::text[]) ORDER BY name, id`,
		q.AccountID, ids); err != nil {
		return nil, fmt.Errorf("report group names: %w", err)
	}
	out := append([]ReportGroup{}, named...)
	known := map[string]bool{}
	for _, g := range named {
		known[g.ID] = true
	}
	none := false
	for _, id := range ids {
		switch {
		case id == "":
			none = true
		case !known[id]:
			out = append(out, ReportGroup{ID: id, Name: id}) // deleted since
		}
	}
	if none {
		out = append(out, ReportGroup{ID: "", Name: "No " + q.GroupBy})
	}
	return out, nil
}
