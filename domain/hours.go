package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BusinessHours is a weekly schedule: the half-open minute-of-day ranges each weekday is open; the zero value is never open.
type BusinessHours struct {
	days [7][]minuteRange // indexed by time.Weekday (Sunday = 0)
}

// minuteRange is a half-open range of minutes since midnight, [from, to).
type minuteRange struct {
	from, to int
}

// weekdays maps accepted day names, lower-cased, to time.Weekday.
var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// ParseBusinessHours parses a weekly schedule such as "Mon-Fri 09:00-12:00 13:00-17:00; Sat 10:00-14:00".
//
// Grammar: entries are separated by ";" or "," (both work; empty entries, as
// from a trailing separator, are ignored, but there must be at least one).
// Each entry is a day or a day range followed by one or more HH:MM-HH:MM time
// ranges, separated by spaces:
//
//	spec   = entry { (";" | ",") entry }
//	entry  = days range { range }
//	days   = day [ "-" day ]          Mon-Fri; a range may wrap: Fri-Mon
//	day    = Mon ... Sun | Monday ... Sunday   (any case)
//	range  = HH:MM "-" HH:MM          00:00 to 24:00, two digits each
//
// A time range is half-open and must end after it starts on the same day
// (24:00 may end one); split hours over midnight into two entries, e.g.
// "Fri 22:00-24:00; Sat 00:00-02:00". Several days are written as a range
// ("Sat-Sun"), not a list. Errors name the bad part, quoting at most 40
// characters of the input.
func ParseBusinessHours(spec string) (BusinessHours, error) {
	var h BusinessHours
	entries := 0
	for _, entry := range strings.FieldsFunc(spec, func(r rune) bool { return r == ';' || r == ',' }) {
		fields := strings.Fields(entry)
		if len(fields) == 0 {
			continue // a trailing or doubled separator
		}
		entries++
		days, err := parseDays(fields[0])
		if err != nil {
			if len(fields) == 1 {
				return BusinessHours{}, fmt.Errorf("entry %q needs a day and a time range, e.g. \"Mon-Fri 09:00-17:00\"", truncate(strings.TrimSpace(entry), 40))
			}
			return BusinessHours{}, err
		}
		if len(fields) == 1 {
			return BusinessHours{}, fmt.Errorf("entry %q has no time range; write e.g. \"Mon-Fri 09:00-17:00\", and several days as a range such as \"Sat-Sun\"", truncate(fields[0], 20))
		}
		for _, f := range fields[1:] {
			r, err := parseMinuteRange(f)
			if err != nil {
				return BusinessHours{}, err
			}
			for _, d := range days {
				h.days[d] = append(h.days[d], r)
			}
		}
	}
	if entries == 0 {
		return BusinessHours{}, fmt.Errorf("has no entries; write e.g. \"Mon-Fri 09:00-17:00\"")
	}
	return h, nil
}

// Contains reports whether t's weekday and time of day, read in t's own location, fall in the schedule.
func (h BusinessHours) Contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	for _, r := range h.days[t.Weekday()] {
		if m >= r.from && m < r.to {
			return true
		}
	}
	return false
}

// Ranges returns weekday d's open ranges as half-open [from, to) minutes since midnight, as written (they may overlap).
func (h BusinessHours) Ranges(d time.Weekday) [][2]int {
	out := make([][2]int, 0, len(h.days[d]))
	for _, r := range h.days[d] {
		out = append(out, [2]int{r.from, r.to})
	}
	return out
}

// parseDays parses "Mon" or "Mon-Fri" (wrapping, as in Fri-Mon) into the weekdays it covers.
func parseDays(f string) ([]time.Weekday, error) {
	first, last, isRange := strings.Cut(f, "-")
	from, ok := weekdays[strings.ToLower(first)]
	if !ok {
		return nil, fmt.Errorf("%q is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun", truncate(first, 20))
	}
	if !isRange {
		return []time.Weekday{from}, nil
	}
	to, ok := weekdays[strings.ToLower(last)]
	if !ok {
		return nil, fmt.Errorf("%q is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun", truncate(last, 20))
	}
	days := []time.Weekday{from}
	for d := from; d != to; {
		d = (d + 1) % 7
		days = append(days, d)
	}
	return days, nil
}

// parseMinuteRange parses "09:00-17:00"; the end must be after the start.
func parseMinuteRange(f string) (minuteRange, error) {
	a, b, ok := strings.Cut(f, "-")
	if !ok {
		return minuteRange{}, fmt.Errorf("%q is not a time range; write HH:MM-HH:MM, e.g. 09:00-17:00", truncate(f, 20))
	}
	from, err := parseClock(a)
	if err != nil {
		return minuteRange{}, err
	}
	to, err := parseClock(b)
	if err != nil {
		return minuteRange{}, err
	}
	if to <= from {
		return minuteRange{}, fmt.Errorf("time range %q must end after it starts; split hours over midnight into two entries", f)
	}
	return minuteRange{from: from, to: to}, nil
}

// parseClock parses "HH:MM", 00:00 to 24:00, into minutes since midnight.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !isDigits(s[:2]) || !isDigits(s[3:]) {
		return 0, fmt.Errorf("%q is not a time; write HH:MM from 00:00 to 24:00", truncate(s, 20))
	}
	hh, _ := strconv.Atoi(s[:2])
	mm, _ := strconv.Atoi(s[3:])
	if hh > 24 || mm > 59 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("%q is not a time; write HH:MM from 00:00 to 24:00", s)
	}
	return hh*60 + mm, nil
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
