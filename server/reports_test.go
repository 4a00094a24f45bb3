package server_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/reportdata"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/sla"
	"github.com/routedesk/routedesk/store"
)

// reportFixture is an account with the tickets of reportTickets, and a neighbour account whose
// tickets fall at the same times with other figures.
type reportFixture struct {
	base                    string
	admin, agent, neighbour string
	accountID, ch1, ch2     string
	team, user              string
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// newReportFixture seeds the tickets (times in UTC):
//
//	T1 ch1 team u1 P  created Mon 2 Nov 09:00  FR 60 s   resolved 1 h (met)        rating 5 (3 Nov)
//	T2 ch1 team    P  created Mon 2 Nov 10:00  FR 120 s  resolved 2 h, resolution breached 11:00  rating 3 (3 Nov)
//	T3 ch1         P  created Fri 6 Nov 16:00  FR 180 s  resolution breached Fri 17:00, resolved Mon 9 Nov 16:00 (3 d)
//	T4 ch2            created Tue 3 Nov 12:00  FR 240 s  rating 4 (10 Nov)
//	T5 ch2            created Wed 4 Nov 23:30  FR 600 s  survey sent, not answered
//	T6 ch2            created Tue 10 Nov 12:00 FR 30 s
//	T7 ch2            created Fri 30 Oct 00:00 resolved after 4 d (Tue 3 Nov 00:00)
//
// P is a policy counting business hours Mon–Fri 09:00–17:00 UTC: first response 60 min, resolution 60 min.
func newReportFixture(t *testing.T) reportFixture {
	st := testenv.Store(t)
	ctx := context.Background()
	db := st.DB()
	acc, admin, err := st.CreateAccount(ctx, "Reports", domain.TierStarter, false)
	require.NoError(t, err)
	f := reportFixture{admin: admin, accountID: acc.ID, ch1: "ch_rep_1", ch2: "ch_rep_2", team: "team_rep", user: "usr_rep"}
	for _, q := range []string{
		`INSERT INTO channels (id, account_id, type, name) VALUES ('ch_rep_1', $1, 'chat', 'Chat'), ('ch_rep_2', $1, 'email', 'Email')`,
		`INSERT INTO users (id, account_id, email, name) VALUES ('usr_rep', $1, 'ada@agents.test', 'Ada')`,
		`INSERT INTO teams (id, account_id, name) VALUES ('team_rep', $1, 'Billing')`,
	} {
		_, err := db.ExecContext(ctx, q, acc.ID)
		require.NoError(t, err)
	}
	pol, err := st.CreateSLAPolicy(ctx, acc.ID, sla.Policy{Name: "Business", Enabled: true, BusinessHoursOnly: true,
		Calendar: sla.CalendarSpec{Hours: "Mon-Fri 09:00-17:00"}, Targets: sla.Targets{FirstResponse: 60, Resolution: 60}})
	require.NoError(t, err)
	f.agent, err = st.CreateUserToken(ctx, acc.ID, f.user, domain.RoleAgent)
	require.NoError(t, err)
	require.NoError(t, reportdata.Insert(ctx, db, acc.ID, []reportdata.Ticket{
		{ID: "T1", ChannelID: f.ch1, TeamID: f.team, UserID: f.user, PolicyID: pol.ID, Created: at("2026-11-02T09:00:00Z"),
			FirstResponse: time.Minute, Resolution: time.Hour, Rating: 5, Answered: at("2026-11-03T08:00:00Z")},
		{ID: "T2", ChannelID: f.ch1, TeamID: f.team, PolicyID: pol.ID, Created: at("2026-11-02T10:00:00Z"),
			FirstResponse: 2 * time.Minute, Resolution: 2 * time.Hour, Breached: map[string]time.Time{"resolution": at("2026-11-02T11:00:00Z")},
			Rating: 3, Answered: at("2026-11-03T09:00:00Z")},
		{ID: "T3", ChannelID: f.ch1, PolicyID: pol.ID, Created: at("2026-11-06T16:00:00Z"),
			FirstResponse: 3 * time.Minute, Resolution: 72 * time.Hour, Breached: map[string]time.Time{"resolution": at("2026-11-06T17:00:00Z")}},
		{ID: "T4", ChannelID: f.ch2, Created: at("2026-11-03T12:00:00Z"), FirstResponse: 4 * time.Minute, Rating: 4, Answered: at("2026-11-10T10:00:00Z")},
		{ID: "T5", ChannelID: f.ch2, Created: at("2026-11-04T23:30:00Z"), FirstResponse: 10 * time.Minute, Rating: -1},
		{ID: "T6", ChannelID: f.ch2, Created: at("2026-11-10T12:00:00Z"), FirstResponse: 30 * time.Second},
		{ID: "T7", ChannelID: f.ch2, Created: at("2026-10-30T00:00:00Z"), Resolution: 96 * time.Hour},
	}))

	// The neighbour: its own channel and tickets at the same times, other figures.
	other, neighbour, err := st.CreateAccount(ctx, "Neighbour", domain.TierStarter, false)
	require.NoError(t, err)
	f.neighbour = neighbour
	_, err = db.ExecContext(ctx, `INSERT INTO channels (id, account_id, type, name) VALUES ('ch_nb', $1, 'chat', 'Chat')`, other.ID)
	require.NoError(t, err)
	require.NoError(t, reportdata.Insert(ctx, db, other.ID, []reportdata.Ticket{
		{ID: "N1", ChannelID: "ch_nb", Created: at("2026-11-02T09:00:00Z"), FirstResponse: time.Hour, Resolution: 5 * time.Hour,
			Rating: 1, Answered: at("2026-11-03T08:00:00Z"), Breached: map[string]time.Time{"first_response": at("2026-11-02T09:30:00Z")}},
		{ID: "N2", ChannelID: "ch_nb", Created: at("2026-11-10T09:00:00Z")},
	}))
	api := server.New(st, nil, server.Config{}, quietLog(), nil, nil)
	f.base = httptestServer(t, api)
	return f
}

// TestReports checks GET /v1/reports against one fixture of known tickets (newReportFixture).
func TestReports(t *testing.T) {
	f := newReportFixture(t)
	t.Run("WeeksHaveExactFigures", func(t *testing.T) { checkWeeksHaveExactFigures(t, f) })
	t.Run("DaysFollowTheTimeZone", func(t *testing.T) { checkDaysFollowTheTimeZone(t, f) })
	t.Run("GroupsAndFilters", func(t *testing.T) { checkGroupsAndFilters(t, f) })
	t.Run("TenantsAreApart", func(t *testing.T) { checkTenantsAreApart(t, f) })
	t.Run("CSV", func(t *testing.T) { checkCSV(t, f) })
	t.Run("Refusals", func(t *testing.T) { checkRefusals(t, f) })
}

func (f reportFixture) report(t *testing.T, token, query string) store.Report {
	t.Helper()
	r := testenv.Do(t, f.base, http.MethodGet, "/v1/reports?"+query, token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var rep store.Report
	r.JSON(t, &rep)
	return rep
}

func f64(v float64) *float64 { return &v }

// durations is a DurationStats literal.
func durations(n int64, median, p90 float64) store.DurationStats {
	return store.DurationStats{Count: n, MedianSeconds: f64(median), P90Seconds: f64(p90)}
}

// checkWeeksHaveExactFigures checks every figure of a two-week report against the fixture,
// computed by hand (percentile_cont interpolates: the p90 of 60, 120, 180, 240, 600 is 240 + 0.6·360).
func checkWeeksHaveExactFigures(t *testing.T, f reportFixture) {
	rep := f.report(t, f.admin, "from=2026-11-02&to=2026-11-15&interval=week")
	require.Len(t, rep.Buckets, 2)
	w1, w2 := rep.Buckets[0], rep.Buckets[1]
	require.Equal(t, at("2026-11-02T00:00:00Z"), w1.Start.UTC())
	require.Equal(t, at("2026-11-09T00:00:00Z"), w1.End.UTC())
	require.Equal(t, at("2026-11-16T00:00:00Z"), w2.End.UTC())

	require.Equal(t, int64(5), w1.Created)
	require.Equal(t, int64(3), w1.Solved) // T1, T2 and T7 (created before the range)
	require.Equal(t, durations(5, 180, 456), w1.FirstResponse)
	require.Equal(t, durations(3, 7200, 7200+0.8*(345600-7200)), w1.Resolution)
	require.Equal(t, durations(3, 120, 168), w1.FirstResponseBusiness)
	require.Equal(t, durations(2, 5400, 6840), w1.ResolutionBusiness)
	require.Equal(t, store.SLATarget{Met: 3, AchievedPercent: f64(100)}, w1.SLA.FirstResponse)
	require.Equal(t, int64(1), w1.SLA.Resolution.Met)
	require.Equal(t, int64(2), w1.SLA.Resolution.Breached) // T2, and T3 breached on Friday, resolved the next week
	require.InDelta(t, 100*4/6.0, *w1.SLA.AchievedPercent, 1e-9)
	require.Equal(t, store.CSATStats{Responses: 2, AverageRating: f64(4), SatisfiedPercent: f64(50)}, w1.CSAT)

	require.Equal(t, int64(1), w2.Created)
	require.Equal(t, int64(1), w2.Solved)
	require.Equal(t, durations(1, 30, 30), w2.FirstResponse)
	require.Equal(t, durations(1, 259200, 259200), w2.Resolution)
	require.Equal(t, durations(1, 28800, 28800), w2.ResolutionBusiness) // Fri 16–17 and Mon 09–16
	require.Equal(t, store.SLAStats{}, w2.SLA)                          // T3's resolution was breached, not met
	require.Equal(t, store.CSATStats{Responses: 1, AverageRating: f64(4), SatisfiedPercent: f64(100)}, w2.CSAT)

	// The total is over the whole range, not a mean of the weeks.
	require.Equal(t, int64(6), rep.Total.Created)
	require.Equal(t, durations(6, 150, 420), rep.Total.FirstResponse)
	require.Equal(t, durations(4, 0.5*(7200+259200), 259200+0.7*(345600-259200)), rep.Total.Resolution)
	require.InDelta(t, 100*4/6.0, *rep.Total.SLA.AchievedPercent, 1e-9)
	require.Equal(t, store.CSATStats{Responses: 3, AverageRating: f64(4), SatisfiedPercent: f64(200.0 / 3)}, rep.Total.CSAT)
}

// checkDaysFollowTheTimeZone puts T5 (23:30 UTC on Wednesday) on Thursday in Stockholm.
func checkDaysFollowTheTimeZone(t *testing.T, f reportFixture) {
	created := func(rep store.Report) map[string]int64 {
		out := map[string]int64{}
		for _, b := range rep.Buckets {
			if b.Created > 0 {
				out[b.Start.Format(time.RFC3339)] = b.Created
			}
		}
		return out
	}
	utc := f.report(t, f.admin, "from=2026-11-02&to=2026-11-08&interval=day")
	require.Len(t, utc.Buckets, 7)
	require.Equal(t, map[string]int64{"2026-11-02T00:00:00Z": 2, "2026-11-03T00:00:00Z": 1, "2026-11-04T00:00:00Z": 1, "2026-11-06T00:00:00Z": 1}, created(utc))
	sthlm := f.report(t, f.admin, "from=2026-11-02&to=2026-11-08&interval=day&tz=Europe/Stockholm")
	require.Len(t, sthlm.Buckets, 7)
	require.Equal(t, "Europe/Stockholm", sthlm.TZ)
	require.Equal(t, map[string]int64{"2026-11-02T00:00:00+01:00": 2, "2026-11-03T00:00:00+01:00": 1, "2026-11-05T00:00:00+01:00": 1, "2026-11-06T00:00:00+01:00": 1}, created(sthlm))
	// A week starts on Monday even when the range starts on Wednesday; date-times bound the range exactly.
	mid := f.report(t, f.admin, "from=2026-11-04T00:00:00Z&to=2026-11-04T23:59:59Z&interval=week")
	require.Len(t, mid.Buckets, 1)
	require.Equal(t, at("2026-11-02T00:00:00Z"), mid.Buckets[0].Start.UTC())
	require.Equal(t, int64(1), mid.Total.Created)
}

// checkGroupsAndFilters splits the figures by channel, team and agent and filters them.
func checkGroupsAndFilters(t *testing.T, f reportFixture) {
	byChannel := f.report(t, f.admin, "from=2026-11-02&to=2026-11-15&interval=week&group_by=channel")
	require.Equal(t, []store.ReportGroup{{ID: f.ch1, Name: "Chat"}, {ID: f.ch2, Name: "Email"}}, byChannel.Groups)
	require.Len(t, byChannel.Buckets, 4) // 2 weeks × 2 channels, empty cells included
	totals := map[string]store.ReportGroupTotal{}
	for _, g := range byChannel.GroupTotals {
		totals[g.Group] = g
	}
	require.Equal(t, int64(3), totals[f.ch1].Created)
	require.Equal(t, durations(3, 120, 168), totals[f.ch1].FirstResponse)
	require.Equal(t, int64(3), totals[f.ch2].Created)
	require.Equal(t, durations(3, 240, 528), totals[f.ch2].FirstResponse)
	require.Equal(t, int64(6), byChannel.Total.Created)

	byTeam := f.report(t, f.admin, "from=2026-11-02&to=2026-11-15&interval=week&group_by=team")
	require.Equal(t, []store.ReportGroup{{ID: f.team, Name: "Billing"}, {ID: "", Name: "No team"}}, byTeam.Groups)
	byAgent := f.report(t, f.admin, "from=2026-11-02&to=2026-11-15&interval=week&group_by=agent")
	require.Equal(t, []store.ReportGroup{{ID: f.user, Name: "Ada"}, {ID: "", Name: "No agent"}}, byAgent.Groups)

	team := f.report(t, f.admin, "from=2026-11-02&to=2026-11-15&interval=week&team_id="+f.team)
	require.Equal(t, int64(2), team.Total.Created)
	require.Equal(t, durations(2, 5400, 6840), team.Total.Resolution)
	ch2 := f.report(t, f.admin, "from=2026-11-02&to=2026-11-15&interval=week&channel_id="+f.ch2)
	require.Equal(t, int64(3), ch2.Total.Created)
	require.Equal(t, store.SLAStats{}, ch2.Total.SLA)
}

// checkTenantsAreApart: each account's report holds its own tickets only, whatever it filters on.
func checkTenantsAreApart(t *testing.T, f reportFixture) {
	mine := f.report(t, f.neighbour, "from=2026-11-02&to=2026-11-15&interval=week")
	require.Equal(t, int64(2), mine.Total.Created)
	require.Equal(t, durations(1, 3600, 3600), mine.Total.FirstResponse)
	require.Equal(t, store.SLATarget{Breached: 1, AchievedPercent: f64(0)}, mine.Total.SLA.FirstResponse)
	require.Equal(t, store.CSATStats{Responses: 1, AverageRating: f64(1), SatisfiedPercent: f64(0)}, mine.Total.CSAT)
	theirs := f.report(t, f.neighbour, "from=2026-11-02&to=2026-11-15&interval=week&channel_id="+f.ch1+"&group_by=channel")
	require.Equal(t, store.ReportMetrics{}, theirs.Total)
	require.Empty(t, theirs.Groups)
	require.Empty(t, theirs.Buckets)
	byAgent := f.report(t, f.neighbour, "from=2026-11-02&to=2026-11-15&group_by=agent")
	require.Equal(t, []store.ReportGroup{{ID: "", Name: "No agent"}}, byAgent.Groups)
	// And the account's own figures are untouched by the neighbour's.
	require.Equal(t, int64(6), f.report(t, f.admin, "from=2026-11-02&to=2026-11-15").Total.Created)
}

// checkCSV answers one row per bucket and group with a header, for format=csv and for Accept: text/csv.
func checkCSV(t *testing.T, f reportFixture) {
	for _, how := range []struct{ query, accept string }{
		{"&format=csv", ""},
		{"", "text/csv"},
	} {
		req, err := http.NewRequest(http.MethodGet, f.base+"/v1/reports?from=2026-11-02&to=2026-11-15&interval=week&group_by=channel"+how.query, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+f.admin)
		if how.accept != "" {
			req.Header.Set("Accept", how.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		rows, err := csv.NewReader(resp.Body).ReadAll()
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv"), resp.Header.Get("Content-Type"))
		require.Contains(t, resp.Header.Get("Content-Disposition"), "report-20261102-20261116.csv")
		require.Len(t, rows, 5) // header, 2 weeks × 2 channels
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		first := rows[1]
		require.Equal(t, "2026-11-02T00:00:00Z", first[col["bucket_start"]])
		require.Equal(t, f.ch1, first[col["group_id"]])
		require.Equal(t, "Chat", first[col["group_name"]])
		require.Equal(t, "3", first[col["created"]])
		require.Equal(t, "120", first[col["first_response_median_seconds"]])
		require.Equal(t, "168", first[col["first_response_p90_seconds"]])
		require.Equal(t, "1", first[col["sla_resolution_met"]])
		require.Equal(t, "2", first[col["sla_resolution_breached"]])
		require.Equal(t, "4", first[col["csat_average_rating"]])
		last := rows[4]
		require.Equal(t, f.ch2, last[col["group_id"]])
		require.Equal(t, "1", last[col["created"]])
		require.Equal(t, "", last[col["resolution_median_seconds"]]) // nothing resolved: no figure
	}
}

// checkRefusals: agents get 403, bad parameters 422 naming the parameter.
func checkRefusals(t *testing.T, f reportFixture) {
	r := testenv.Do(t, f.base, http.MethodGet, "/v1/reports?from=2026-11-02&to=2026-11-15", f.agent, nil)
	require.Equal(t, http.StatusForbidden, r.Status, string(r.Body))
	r = testenv.Do(t, f.base, http.MethodGet, "/v1/reports?from=2026-11-02&to=2026-11-15", "", nil)
	require.Equal(t, http.StatusUnauthorized, r.Status, string(r.Body))
	for query, field := range map[string]string{
		"to=2026-11-15":                                   "from",
		"from=2026-11-02":                                 "to",
		"from=yesterday&to=2026-11-15":                    "from",
		"from=2026-11-02&to=2026-13-01":                   "to",
		"from=2026-11-02&to=2026-11-01":                   "to",
		"from=2025-01-01&to=2026-01-02":                   "to",
		"from=2026-11-02&to=2026-11-15&interval=month":    "interval",
		"from=2026-11-02&to=2026-11-15&group_by=priority": "group_by",
		"from=2026-11-02&to=2026-11-15&tz=Mars/Olympus":   "tz",
		"from=2026-11-02&to=2026-11-15&tz=Local":          "tz",
		"from=2026-11-02&to=2026-11-15&format=xml":        "format",
		"from=2026-11-02&to=2026-11-15&sort=created":      "sort",
		"from=2026-11-02&to=2026-11-15&team_id=%00":       "team_id",
	} {
		r := testenv.Do(t, f.base, http.MethodGet, "/v1/reports?"+query, f.admin, nil)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", query, r.Body)
		require.Contains(t, string(r.Body), `"field":"`+field+`"`, query)
	}
	// 366 days is the limit, inclusive.
	require.Len(t, f.report(t, f.admin, "from=2024-01-01&to=2024-12-31&interval=week").Buckets, 53)
}
