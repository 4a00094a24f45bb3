package sla

import "time"

// Meter measures many spans of one calendar's open time, remembering each civil day's open
// intervals (reports measure thousands of tickets against a few calendars). It gives what
// Elapsed gives without pauses. Not safe for concurrent use.
type Meter struct {
	cal  Calendar
	days map[date][]Interval
}

// NewMeter returns a Meter of cal.
func NewMeter(cal Calendar) *Meter {
	return &Meter{cal: cal, days: map[date][]Interval{}}
}

// Elapsed is the calendar's open time in [from, to), as Elapsed(from, to, cal, nil).
func (m *Meter) Elapsed(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	loc := m.cal.location()
	y, mo, d := from.In(loc).Date()
	civil := time.Date(y, mo, d, 12, 0, 0, 0, time.UTC) // steps over civil dates without the zone's rules
	var sum time.Duration
	for i := 0; i < maxDays; i++ {
		cy, cm, cd := civil.AddDate(0, 0, i).Date()
		key := date{cy, cm, cd}
		ivs, ok := m.days[key]
		if !ok {
			ivs = m.cal.openOn(time.Date(cy, cm, cd, 12, 0, 0, 0, loc))
			m.days[key] = ivs
		}
		for _, iv := range ivs {
			if !iv.From.Before(to) {
				return sum
			}
			if lo := maxTime(iv.From, from); iv.To.After(lo) {
				sum += minTime(iv.To, to).Sub(lo)
			}
		}
		if !time.Date(cy, cm, cd+1, 0, 0, 0, 0, loc).Before(to) {
			return sum
		}
	}
	return sum
}
