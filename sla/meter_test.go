package sla

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestMeterMatchesElapsed compares the Meter with Elapsed (no pauses) over random spans of calendars
// with business hours, holidays and DST changes.
func TestMeterMatchesElapsed(t *testing.T) {
	cals := []CalendarSpec{
		{},
		{Timezone: "Europe/Stockholm", Hours: "Mon-Fri 09:00-12:00 13:00-17:00; Sat 10:00-14:00", Holidays: []string{"2026-12-24", "2026-12-25"}},
		{Timezone: "America/New_York", Hours: "Mon-Sun 00:00-24:00"},
		{Timezone: "Asia/Kolkata", Hours: "Mon-Fri 22:00-24:00"},
	}
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, spec := range cals {
		cal, errs := ParseCalendar(spec)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		m := NewMeter(cal)
		for range 2000 {
			from := base.Add(time.Duration(r.Int64N(int64(300 * 24 * time.Hour))))
			to := from.Add(time.Duration(r.Int64N(int64(20 * 24 * time.Hour))))
			if got, want := m.Elapsed(from, to), Elapsed(from, to, cal, nil); got != want {
				t.Fatalf("%+v: [%s, %s): meter %s, Elapsed %s", spec, from, to, got, want)
			}
		}
	}
}
