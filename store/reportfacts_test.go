package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/sla"
	"github.com/routedesk/routedesk/store"
)

// TestReportFactsFollowWhatIsRecorded drives one ticket through the statements that record it (the
// ticket's insert, replies marked sent, a breach on its audit trail, status changes, a reassignment,
// a survey answered and answered again) and checks the report read from report_facts: next responses
// from the customer's first unanswered message to the reply, their SLA outcome, business time less
// the pending pause, and the figures under the ticket's agent as it is now.
//
// Policy: Mon–Fri 09:00–17:00 UTC, pause while pending; first response 60 min, next 30, resolution 600.
//
//	(times on that Monday)
//	09:00 ticket created, customer writes      09:10 agent replies (first response 600 s), ticket pending
//	10:00 customer writes (reopens), 10:05 again   10:30 next response breached   11:00 agent replies (3,600 s)
//	11:30 customer writes   11:40 agent replies (600 s, met)   11:50 agent writes again (nothing to answer)
//	15:00 resolved: 21,600 s, 18,600 s of business time (the 50 minutes pending do not count)
func TestReportFactsFollowWhatIsRecorded(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	db := st.DB()
	pol, err := st.CreateSLAPolicy(ctx, acc.ID, sla.Policy{Name: "Business", Enabled: true, BusinessHoursOnly: true, PauseOnPending: true,
		Calendar: sla.CalendarSpec{Hours: "Mon-Fri 09:00-17:00"}, Targets: sla.Targets{FirstResponse: 60, NextResponse: 30, Resolution: 600}})
	require.NoError(t, err)
	// A Monday two to three weeks ago: replies count when they went out (now), so the range reaches today.
	now := time.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day()-14-(int(now.Weekday())+6)%7, 0, 0, 0, 0, time.UTC)
	to := now.Add(time.Hour)
	hm := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	exec := func(q string, args ...any) {
		t.Helper()
		_, err := db.ExecContext(ctx, q, args...)
		require.NoError(t, err, q)
	}
	exec(`INSERT INTO users (id, account_id, email, name) VALUES ('usr_ada', $1, 'ada@agents.test', 'Ada')`, acc.ID)
	exec(`INSERT INTO conversations (id, account_id, channel_id, thread_key, thread_hash, workflow_id)
	      VALUES ('cv_k', $1, $2, 'k', sha256('k'), 'wf_k')`, acc.ID, ch.ID)
	exec(`INSERT INTO tickets (id, account_id, conversation_id, channel_id, subject, status, routing_state, sla_policy_id, created_at, updated_at)
	      VALUES ('tkt_k', $1, 'cv_k', $2, 'K', 'new', 'routing', $3, $4, $4)`, acc.ID, ch.ID, pol.ID, hm(9, 0))
	msg := func(id, direction string, at time.Time) {
		author, status := `{"email": "kund@example.com"}`, "received"
		if direction == "outbound" {
			author, status = `{"user_id": "usr_ada"}`, "queued"
		}
		exec(`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, author, status, sent_at)
		      VALUES ($1, $2, $3, 'cv_k', $1, $4, $5, $6, $7)`, id, acc.ID, ch.ID, direction, author, status, at)
		if direction == "outbound" {
			require.NoError(t, st.MarkSent(ctx, acc.ID, id, "p_"+id))
		}
	}
	status := func(kind, to string, at time.Time) {
		exec(`INSERT INTO ticket_events (ticket_id, kind, data, created_at) VALUES ('tkt_k', $1, jsonb_build_object('status', $2::text), $3)`, kind, to, at)
	}
	msg("m1", "inbound", hm(9, 0))
	msg("r1", "outbound", hm(9, 10))
	status("TicketChanged", "pending", hm(9, 10))
	msg("m2", "inbound", hm(10, 0))
	status("TicketReopened", "open", hm(10, 0))
	msg("m3", "inbound", hm(10, 5))
	exec(`INSERT INTO ticket_events (ticket_id, kind, data, created_at) VALUES ('tkt_k', 'SLABreached', '{"target": "next_response"}', $1)`, hm(10, 30))
	msg("r2", "outbound", hm(11, 0))
	msg("m4", "inbound", hm(11, 30))
	msg("r3", "outbound", hm(11, 40))
	msg("r4", "outbound", hm(11, 50))
	require.NoError(t, st.MarkSent(ctx, acc.ID, "r3", "p_r3")) // a retried activity measures nothing twice
	exec(`INSERT INTO ticket_measures (ticket_id, kind, seconds, measured_at) VALUES ('tkt_k', 'resolution', 21600, $1)`, hm(15, 0))
	status("TicketChanged", "solved", hm(15, 0))
	exec(`INSERT INTO csat_surveys (ticket_id, account_id, channel_id, state) VALUES ('tkt_k', $1, $2, 'sent')`, acc.ID, ch.ID)
	exec(`UPDATE csat_surveys SET rating = 2, answered_at = $1, state = 'answered' WHERE ticket_id = 'tkt_k'`, hm(16, 0))
	exec(`UPDATE csat_surveys SET rating = 5 WHERE ticket_id = 'tkt_k'`) // the customer changed their mind
	exec(`UPDATE tickets SET assignee_user_id = 'usr_ada' WHERE id = 'tkt_k'`)

	rep, err := st.Report(ctx, store.ReportQuery{AccountID: acc.ID, From: day, To: to, Interval: store.ReportWeek,
		Location: time.UTC, GroupBy: store.ReportGroupAgent})
	require.NoError(t, err)
	f := func(v float64) *float64 { return &v }
	stats := func(n int64, median, p90 float64) store.DurationStats {
		return store.DurationStats{Count: n, MedianSeconds: f(median), P90Seconds: f(p90)}
	}
	m := rep.Total
	require.Equal(t, int64(1), m.Created)
	require.Equal(t, int64(1), m.Solved)
	require.Equal(t, stats(1, 600, 600), m.FirstResponse)
	require.Equal(t, stats(2, 2100, 3300), m.NextResponse) // 3,600 s and 600 s
	require.Equal(t, stats(2, 2100, 3300), m.NextResponseBusiness)
	require.Equal(t, stats(1, 21600, 21600), m.Resolution)
	require.Equal(t, stats(1, 18600, 18600), m.ResolutionBusiness)
	require.Equal(t, stats(1, 600, 600), m.FirstResponseBusiness)
	require.Equal(t, store.SLATarget{Met: 1, Breached: 1, AchievedPercent: f(50)}, m.SLA.NextResponse)
	require.Equal(t, store.SLATarget{Met: 1, AchievedPercent: f(100)}, m.SLA.FirstResponse)
	require.Equal(t, store.SLATarget{Met: 1, AchievedPercent: f(100)}, m.SLA.Resolution)
	require.Equal(t, f(75), m.SLA.AchievedPercent)
	require.Equal(t, store.CSATStats{Responses: 1, AverageRating: f(5), SatisfiedPercent: f(100)}, m.CSAT)
	require.Equal(t, []store.ReportGroup{{ID: "usr_ada", Name: "Ada"}}, rep.Groups) // every fact moved with the assignment
	require.Equal(t, m, rep.GroupTotals[0].ReportMetrics)

	// Reading a report computes the business seconds once: none is left to compute.
	var todo int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM report_facts WHERE business AND business_v IS NULL`).Scan(&todo))
	require.Zero(t, todo)
	// Erasing the ticket takes its facts with it.
	exec(`DELETE FROM tickets WHERE id = 'tkt_k'`)
	rep, err = st.Report(ctx, store.ReportQuery{AccountID: acc.ID, From: day, To: to, Interval: store.ReportWeek,
		Location: time.UTC, GroupBy: store.ReportGroupNone})
	require.NoError(t, err)
	require.Equal(t, store.ReportMetrics{}, rep.Total)
}
