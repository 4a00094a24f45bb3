package store

import (
	"context"
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

// SLAStats are the outcomes of the first response, next response and resolution targets and their joint share met.
type SLAStats struct {
	FirstResponse   SLATarget `json:"first_response"`
	NextResponse    SLATarget `json:"next_response"`
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
	// FirstResponse and Resolution are calendar time from the ticket's creation; NextResponse from
	// a customer's first message after an agent's reply to the agent's next reply.
	FirstResponse DurationStats `json:"first_response"`
	NextResponse  DurationStats `json:"next_response"`
	Resolution    DurationStats `json:"resolution"`
	// FirstResponseBusiness, NextResponseBusiness and ResolutionBusiness are the same, in the business
	// hours of the ticket's SLA policy less its pauses, over the tickets whose policy counts business hours only.
	FirstResponseBusiness DurationStats `json:"first_response_business"`
	NextResponseBusiness  DurationStats `json:"next_response_business"`
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

// Report computes a report (the query is validated by the caller: a known interval and grouping,
// From before To, a location).
func (s *Store) Report(ctx context.Context, q ReportQuery) (Report, error) {
	if _, ok := reportGroupColumn[q.GroupBy]; !ok {
		return Report{}, domain.Invalid("group_by", "must be one of "+strings.Join(ReportGroups, ", "))
	}
	out := Report{From: q.From, To: q.To, Interval: q.Interval, TZ: q.Location.String(), GroupBy: q.GroupBy,
		Groups: []ReportGroup{}, Buckets: []ReportBucket{}, GroupTotals: []ReportGroupTotal{}}
	// Business seconds a measure's statement could not compute (routedesk stopped in between, or
	// rows written by hand) are computed now, once.
	if err := s.FillReportBusiness(ctx, q.AccountID); err != nil {
		return Report{}, err
	}
	cells, err := s.reportCells(ctx, q)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "22023" { // a zone Go knows and PostgreSQL does not
		return Report{}, domain.Invalid("tz", "is not a time zone PostgreSQL knows")
	}
	if err != nil {
		return Report{}, fmt.Errorf("report: %w", err)
	}
	totals := map[string]*reportAcc{}
	var all reportAcc
	var groups []string
	for k, c := range cells {
		if totals[k.group] == nil {
			totals[k.group] = &reportAcc{}
			groups = append(groups, k.group)
		}
		totals[k.group].merge(c)
		all.merge(c)
	}
	out.Total = all.metrics()
	if q.GroupBy == ReportGroupNone {
		groups = []string{""}
	}
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
			var m ReportMetrics
			if c := cells[cellKey{start.Unix(), g.ID}]; c != nil {
				m = c.metrics()
			}
			out.Buckets = append(out.Buckets, ReportBucket{Start: start, End: end, Group: g.ID, ReportMetrics: m})
		}
		if q.GroupBy != ReportGroupNone {
			var m ReportMetrics
			if t := totals[g.ID]; t != nil {
				m = t.metrics()
			}
			out.GroupTotals = append(out.GroupTotals, ReportGroupTotal{Group: g.ID, ReportMetrics: m})
		}
	}
	if q.GroupBy == ReportGroupNone {
		out.GroupTotals = append(out.GroupTotals, ReportGroupTotal{Group: "", ReportMetrics: out.Total})
	}
	return out, nil
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
