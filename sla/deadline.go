package sla

import (
	"slices"
	"time"
)

// maxDays bounds how far a deadline is looked for: a calendar open too rarely (or a clock
// paused for good) has no deadline within it.
const maxDays = 3 * 366

// Interval is a half-open span of time [From, To); a zero To is open-ended (a pause still running).
type Interval struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
}

// FollowPauses records in pauses (the spans in which the clocks stood, the last open-ended while
// they still do) that the ticket's status changed at at, to one the policy pauses on or not: a
// pausing status opens a span unless one is open, another closes the open one. More than max spans
// (0: no bound) are not opened. Pure: the same arguments give the same answer.
func FollowPauses(pauses []Interval, paused bool, at time.Time, max int) []Interval {
	n := len(pauses)
	open := n > 0 && pauses[n-1].To.IsZero()
	switch {
	case paused && !open && (max == 0 || n < max):
		pauses = append(pauses, Interval{From: at})
	case !paused && open:
		pauses[n-1].To = at
	}
	return pauses
}

// Due is when target of clock time has run from start: only the calendar's open time counts,
// less the pauses. ok is false when no such time comes within three years (a clock paused for
// good, a calendar without open hours). Pure: the same arguments give the same answer.
func Due(start time.Time, target time.Duration, cal Calendar, pauses []Interval) (due time.Time, ok bool) {
	if target <= 0 {
		return start, true
	}
	left := target
	walk(start, cal, pauses, func(seg Interval) bool {
		if n := seg.To.Sub(seg.From); n < left {
			left -= n
			return true
		}
		due, ok = seg.From.Add(left), true
		return false
	})
	return due, ok
}

// Elapsed is how much clock time ran in [from, to): the calendar's open time less the pauses.
func Elapsed(from, to time.Time, cal Calendar, pauses []Interval) time.Duration {
	var sum time.Duration
	if !to.After(from) {
		return 0
	}
	walk(from, cal, pauses, func(seg Interval) bool {
		if !seg.From.Before(to) {
			return false
		}
		sum += minTime(seg.To, to).Sub(seg.From)
		return seg.To.Before(to)
	})
	return sum
}

// walk calls fn with each span in which the clock runs from start on, in order, until fn
// returns false or maxDays have been looked at.
func walk(start time.Time, cal Calendar, pauses []Interval, fn func(Interval) bool) {
	ps := sortedPauses(pauses)
	loc := cal.location()
	y, m, d := start.In(loc).Date()
	for i := 0; i < maxDays; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, loc)
		for _, iv := range cal.openOn(day) {
			if !iv.To.After(start) {
				continue
			}
			iv.From = maxTime(iv.From, start)
			for _, seg := range subtract(iv, ps) {
				if !fn(seg) {
					return
				}
			}
		}
	}
}

// sortedPauses orders the pauses by start; an open-ended one runs past any deadline.
func sortedPauses(pauses []Interval) []Interval {
	ps := slices.Clone(pauses)
	for i := range ps {
		if ps[i].To.IsZero() {
			ps[i].To = ps[i].From.AddDate(maxDays/366+1, 0, 0)
		}
	}
	slices.SortFunc(ps, func(a, b Interval) int { return a.From.Compare(b.From) })
	return ps
}

// subtract returns the parts of iv that no pause (sorted by start) covers, in order.
func subtract(iv Interval, pauses []Interval) []Interval {
	var out []Interval
	cur := iv.From
	for _, p := range pauses {
		if !p.To.After(cur) || !p.From.Before(iv.To) {
			continue
		}
		if p.From.After(cur) {
			out = append(out, Interval{From: cur, To: p.From})
		}
		cur = maxTime(cur, p.To)
		if !cur.Before(iv.To) {
			return out
		}
	}
	return append(out, Interval{From: cur, To: iv.To})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
