package sla_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/sla"
	"github.com/routedesk/routedesk/sla/slatest"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

func TestDeadlineTable(t *testing.T) {
	for _, tc := range slatest.Table {
		t.Run(tc.Name, func(t *testing.T) {
			p := sla.Policy{Calendar: tc.Calendar, BusinessHoursOnly: tc.Business}
			var pauses []sla.Interval
			for _, pp := range tc.Pauses {
				pauses = append(pauses, sla.Interval{From: mustTime(t, pp[0]), To: mustTime(t, pp[1])})
			}
			due, ok := sla.Due(mustTime(t, tc.Start), tc.Target, p.Clock(), pauses)
			if tc.Want == "" {
				require.False(t, ok, "a deadline %s", due)
				return
			}
			require.True(t, ok)
			require.True(t, due.Equal(mustTime(t, tc.Want)), "due %s, want %s", due, tc.Want)
		})
	}
}

// TestPriorityChangeMidwayChoosesThePolicyAgain: a normal ticket (8 h) becomes urgent (2 h) at 10:00;
// the urgent policy's clock counts from the ticket's start, so it is due at 11:00, not 12:00.
func TestPriorityChangeMidwayChoosesThePolicyAgain(t *testing.T) {
	policies := []sla.Policy{
		{Name: "urgent", Enabled: true, Priorities: []string{"urgent"}, Targets: sla.Targets{FirstResponse: 120}, Calendar: slatest.Weekdays, BusinessHoursOnly: true},
		{Name: "default", Enabled: true, Targets: sla.Targets{FirstResponse: 480}, Calendar: slatest.Weekdays, BusinessHoursOnly: true},
	}
	start := mustTime(t, "2026-12-07T09:00:00+01:00")
	first := func(pr string) sla.Policy {
		for _, p := range policies {
			if p.MatchesFields(sla.Ticket{Priority: pr}) {
				return p
			}
		}
		t.Fatal("no policy")
		return sla.Policy{}
	}
	p := first("normal")
	due, _ := sla.Due(start, time.Duration(p.Targets.FirstResponse)*time.Minute, p.Clock(), nil)
	require.Equal(t, "2026-12-07T17:00:00+01:00", due.In(start.Location()).Format(time.RFC3339))
	p = first("urgent")
	due, _ = sla.Due(start, time.Duration(p.Targets.FirstResponse)*time.Minute, p.Clock(), nil)
	require.Equal(t, "2026-12-07T11:00:00+01:00", due.In(start.Location()).Format(time.RFC3339))
}

func TestElapsedCountsOnlyOpenUnpausedTime(t *testing.T) {
	cal, errs := sla.ParseCalendar(slatest.Weekdays)
	require.Empty(t, errs)
	from, to := mustTime(t, "2026-12-04T16:00:00+01:00"), mustTime(t, "2026-12-07T10:00:00+01:00")
	require.Equal(t, 2*time.Hour, sla.Elapsed(from, to, cal, nil))
	pause := []sla.Interval{{From: mustTime(t, "2026-12-07T09:15:00+01:00"), To: mustTime(t, "2026-12-07T09:45:00+01:00")}}
	require.Equal(t, 90*time.Minute, sla.Elapsed(from, to, cal, pause))
	require.Equal(t, time.Duration(0), sla.Elapsed(to, from, cal, nil))
}

func TestCalendarErrorsNameTheField(t *testing.T) {
	_, errs := sla.ParseCalendar(sla.CalendarSpec{Timezone: "Mars/Olympus", Hours: "Mon-Fri 9-5", Holidays: []string{"2026-12-24", "24/12"}})
	fields := []string{}
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	require.Equal(t, []string{"timezone", "hours", "holidays[1]"}, fields)
}

// FuzzParseCalendar: any spec parses or is refused without panicking, and a parsed calendar
// gives a deadline no earlier than its start that Elapsed measures back to the target.
func FuzzParseCalendar(f *testing.F) {
	f.Add("Europe/Stockholm", "Mon-Fri 09:00-17:00", "2026-12-24", int64(90))
	f.Add("", "", "", int64(1))
	f.Add("UTC", "Sun 00:00-24:00; Sat 10:00-10:01", "2026-02-30", int64(5000))
	f.Fuzz(func(t *testing.T, tz, hours, holiday string, minutes int64) {
		cal, errs := sla.ParseCalendar(sla.CalendarSpec{Timezone: tz, Hours: hours, Holidays: []string{holiday}})
		if len(errs) > 0 {
			return
		}
		target := time.Duration(minutes%(10*24*60)) * time.Minute
		if target < 0 {
			target = -target
		}
		start := time.Date(2026, 3, 27, 16, 30, 0, 0, time.UTC)
		due, ok := sla.Due(start, target, cal, nil)
		if !ok {
			return
		}
		if due.Before(start) {
			t.Fatalf("due %s before start %s", due, start)
		}
		if got := sla.Elapsed(start, due, cal, nil); got != target {
			t.Fatalf("elapsed %s to the deadline, want %s", got, target)
		}
	})
}
