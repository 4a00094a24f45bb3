// Package sla holds service-level policies and the pure, deterministic arithmetic of their
// deadlines: given a start, a target, a calendar (time zone, weekly business hours, holidays)
// and the pauses of the clock, when the target is due (docs/sla.md).
package sla

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones work even where the system has no zoneinfo

	"github.com/routedesk/routedesk/domain"
)

// MaxHolidays bounds a calendar's list of dates.
const MaxHolidays = 400

// CalendarSpec is a calendar as an admin writes it.
type CalendarSpec struct {
	// Timezone is an IANA zone such as "Europe/Stockholm"; "" is UTC.
	Timezone string `json:"timezone"`
	// Hours is a weekly schedule in the grammar of domain.ParseBusinessHours ("Mon-Fri 09:00-17:00"); "" is every hour.
	Hours string `json:"hours"`
	// Holidays are dates (YYYY-MM-DD, in Timezone) on which the clock does not run.
	Holidays []string `json:"holidays"`
}

// Calendar is when a business-hours clock runs; the zero value runs all the time, in UTC.
type Calendar struct {
	loc      *time.Location
	weekly   bool          // a weekly schedule applies; without one, every hour of a day that is not a holiday
	days     [7][][2]int   // merged, sorted [from, to) minutes per weekday
	holidays map[date]bool // dates in loc
}

// date is a civil date.
type date struct {
	y int
	m time.Month
	d int
}

// AlwaysOpen is the calendar of a clock that runs every hour of every day.
func AlwaysOpen() Calendar { return Calendar{loc: time.UTC} }

// ParseCalendar checks spec and builds its calendar; errors name the field (timezone, hours, holidays[i]).
func ParseCalendar(spec CalendarSpec) (Calendar, []domain.FieldError) {
	var errs []domain.FieldError
	c := Calendar{loc: time.UTC, weekly: strings.TrimSpace(spec.Hours) != "", holidays: map[date]bool{}}
	if tz := strings.TrimSpace(spec.Timezone); tz != "" {
		loc, err := loadLocation(tz)
		if err != nil {
			errs = append(errs, domain.FieldError{Field: "timezone", Message: err.Error()})
		} else {
			c.loc = loc
		}
	}
	if c.weekly {
		h, err := domain.ParseBusinessHours(spec.Hours)
		if err != nil {
			errs = append(errs, domain.FieldError{Field: "hours", Message: err.Error()})
		}
		for d := time.Sunday; d <= time.Saturday; d++ {
			c.days[d] = merge(h.Ranges(d))
		}
	}
	if len(spec.Holidays) > MaxHolidays {
		errs = append(errs, domain.FieldError{Field: "holidays", Message: fmt.Sprintf("has %d dates; the limit is %d", len(spec.Holidays), MaxHolidays)})
		return c, errs
	}
	for i, s := range spec.Holidays {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
		if err != nil {
			errs = append(errs, domain.FieldError{Field: fmt.Sprintf("holidays[%d]", i), Message: fmt.Sprintf("%q is not a date; write YYYY-MM-DD", truncate(s, 20))})
			continue
		}
		c.holidays[date{t.Year(), t.Month(), t.Day()}] = true
	}
	return c, errs
}

// loadLocation loads an IANA zone, refusing "Local" (the server's zone is no account's).
func loadLocation(tz string) (*time.Location, error) {
	if strings.EqualFold(tz, "local") {
		return nil, fmt.Errorf("time zone %q is not allowed; name an IANA zone such as \"Europe/Stockholm\"", tz)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (want an IANA name such as \"Europe/Stockholm\")", truncate(tz, 40))
	}
	return loc, nil
}

// merge sorts ranges and joins those that overlap or touch.
func merge(rs [][2]int) [][2]int {
	slices.SortFunc(rs, func(a, b [2]int) int { return a[0] - b[0] })
	var out [][2]int
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

// openOn returns the open intervals of the civil day containing day (in the calendar's zone), in order.
func (c Calendar) openOn(day time.Time) []Interval {
	loc := c.location()
	y, m, d := day.In(loc).Date()
	if c.holidays[date{y, m, d}] {
		return nil
	}
	at := func(min int) time.Time { return time.Date(y, m, d, min/60, min%60, 0, 0, loc) }
	if !c.weekly {
		return []Interval{{From: at(0), To: time.Date(y, m, d+1, 0, 0, 0, 0, loc)}}
	}
	var out []Interval
	for _, r := range c.days[time.Date(y, m, d, 12, 0, 0, 0, loc).Weekday()] {
		from, to := at(r[0]), at(r[1])
		if r[1] == 24*60 {
			to = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		}
		if to.After(from) { // a range inside a skipped DST hour has no time
			out = append(out, Interval{From: from, To: to})
		}
	}
	return out
}

func (c Calendar) location() *time.Location {
	if c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
