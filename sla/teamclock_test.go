package sla_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/sla"
)

// TestTeamClocksInBusinessTime: L1 holds a ticket from Friday 16:00 to Monday 10:00 under 09–17
// hours (Stockholm time): 66 h of wall time, 2 h of business time (Friday's last hour, Monday's
// first); L2 holds it from then on, through a holiday, to now; a second span of L1 adds to L1's.
func TestTeamClocksInBusinessTime(t *testing.T) {
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	require.NoError(t, err)
	at := func(day, hour int) time.Time { return time.Date(2026, time.December, day, hour, 0, 0, 0, stockholm) }
	p := &sla.Policy{BusinessHoursOnly: true, Calendar: sla.CalendarSpec{Timezone: "Europe/Stockholm", Hours: "Mon-Fri 09:00-17:00", Holidays: []string{"2026-12-08"}}}
	spans := []sla.Span{
		{TeamID: "L1", From: at(4, 16), To: at(7, 10)}, // Friday 4 December to Monday 7
		{TeamID: "L2", From: at(7, 10), To: at(9, 11)}, // Monday 10:00 to Wednesday 11:00, Tuesday a holiday
		{TeamID: "L1", From: at(9, 11)},                // still running: to now, Wednesday 12:30
	}
	now := at(9, 12).Add(30 * time.Minute)
	got := sla.TeamClocks(spans, now, p, nil)
	require.Len(t, got, 2)
	require.Equal(t, "L1", got[0].TeamID)
	require.Equal(t, (66*time.Hour + 90*time.Minute).Seconds(), got[0].Seconds)
	require.NotNil(t, got[0].BusinessSeconds)
	require.Equal(t, (2*time.Hour + 90*time.Minute).Seconds(), *got[0].BusinessSeconds)
	require.Equal(t, "L2", got[1].TeamID)
	require.Equal(t, (49 * time.Hour).Seconds(), got[1].Seconds)
	require.Equal(t, (7*time.Hour + 2*time.Hour).Seconds(), *got[1].BusinessSeconds, "Monday 10–17, no Tuesday, Wednesday 09–11")

	wall := sla.TeamClocks(spans[:1], now, &sla.Policy{Calendar: p.Calendar}, nil)
	require.Equal(t, (66 * time.Hour).Seconds(), wall[0].Seconds)
	require.Nil(t, wall[0].BusinessSeconds, "a policy counting wall time has no business time")
	require.Nil(t, sla.TeamClocks(spans[:1], now, nil, nil)[0].BusinessSeconds)
	require.Empty(t, sla.TeamClocks(nil, now, p, nil))

	// L2's ticket waited on the customer (pending) Monday 13:00 to Wednesday 10:00: that time held
	// is not SLA time used; L1's is untouched.
	pending := []sla.Interval{{From: at(7, 13), To: at(9, 10)}}
	paused := sla.TeamClocks(spans, now, p, pending)
	require.Equal(t, got[1].Seconds, paused[1].Seconds, "held is held")
	require.Equal(t, (3*time.Hour + time.Hour).Seconds(), *paused[1].BusinessSeconds, "Monday 10–13, Wednesday 10–11")
	require.Equal(t, *got[0].BusinessSeconds, *paused[0].BusinessSeconds)
}
