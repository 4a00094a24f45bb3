package domain

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseBusinessHours(t *testing.T) {
	weekdays := []minuteRange{{9 * 60, 12 * 60}, {13 * 60, 17*60 + 30}}
	var want BusinessHours
	for d := time.Monday; d <= time.Friday; d++ {
		want.days[d] = weekdays
	}
	want.days[time.Saturday] = []minuteRange{{10 * 60, 24 * 60}}
	want.days[time.Sunday] = []minuteRange{{10 * 60, 24 * 60}}
	for _, spec := range []string{
		"Mon-Fri 09:00-12:00 13:00-17:30; sat-SUN 10:00-24:00;",
		"Mon-Fri 09:00-12:00 13:00-17:30, Saturday-sunday 10:00-24:00",
		" monday-FRIDAY  09:00-12:00\t13:00-17:30 ;; Sat-Sun 10:00-24:00 , ",
		"Mon-Fri 09:00-12:00; Mon-Fri 13:00-17:30, Sat 10:00-24:00; SUNDAY 10:00-24:00",
	} {
		got, err := ParseBusinessHours(spec)
		if err != nil {
			t.Fatalf("%q: %v", spec, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %+v\nwant %+v", spec, got, want)
		}
	}

	wrap, err := ParseBusinessHours("Sun-Thu 08:00-16:00")
	if err != nil {
		t.Fatal(err)
	}
	for d, open := range []bool{true, true, true, true, true, false, false} {
		if got := wrap.days[d] != nil; got != open {
			t.Errorf("Sun-Thu: %v open = %v, want %v", time.Weekday(d), got, open)
		}
	}
}

func TestParseBusinessHoursErrors(t *testing.T) {
	long := strings.Repeat("x", 500)
	tests := []struct {
		spec, msg string
	}{
		{"", "has no entries"},
		{"  ", "has no entries"},
		{";", "has no entries"},
		{", ;", "has no entries"},
		{"Mon-Fri", `entry "Mon-Fri" has no time range`},
		{"Sat,Sun 10:00-14:00", `entry "Sat" has no time range; write e.g. "Mon-Fri 09:00-17:00", and several days as a range such as "Sat-Sun"`},
		{"Mon-Fri 09:00-12:00, 13:00-17:00", `entry "13:00-17:00" needs a day and a time range`},
		{"Mon-Fry 09:00-17:00", `"Fry" is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun`},
		{"Mon- 09:00-17:00", `"" is not a day`},
		{"weekdays 9-5", `"weekdays" is not a day`},
		{"Mon-Fri 9-5", `"9" is not a time`},
		{"Mon 9:00-17:00", `"9:00" is not a time; write HH:MM from 00:00 to 24:00`},
		{"Mon 09:00-25:00", `"25:00" is not a time`},
		{"Mon 09:60-10:00", `"09:60" is not a time`},
		{"Mon 24:30-24:40", `"24:30" is not a time`},
		{"Mon +9:00-10:00", `"+9:00" is not a time`},
		{"Mon 09:+0-10:00", `"09:+0" is not a time`},
		{"Mon 09:00-1٠:00", `"1٠:00" is not a time`},
		{"Mon 09:00", `"09:00" is not a time range; write HH:MM-HH:MM`},
		{"Mon 09:00-17:00-18:00", `"17:00-18:00" is not a time`},
		{"Mon 09:00-09:00", `time range "09:00-09:00" must end after it starts`},
		{"Mon 17:00-09:00", "split hours over midnight into two entries"},
		{"Mon 22:00-00:00", "must end after it starts"},
		{"Mon 09:00-17:00; Tue 10:00", `"10:00" is not a time range`},
		{long, "needs a day and a time range"},
		{"Mon " + long, `"xxxxxxxxxxxxxxxxxxxx…" is not a time range`},
		{long + " 09:00-17:00", `"xxxxxxxxxxxxxxxxxxxx…" is not a day`},
		{"Mon 09:00-" + long, `"xxxxxxxxxxxxxxxxxxxx…" is not a time`},
	}
	for _, tt := range tests {
		_, err := ParseBusinessHours(tt.spec)
		if err == nil {
			t.Errorf("%q: no error, want %q", tt.spec, tt.msg)
			continue
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%q: error %q, want it to contain %q", truncate(tt.spec, 40), err, tt.msg)
		}
		if strings.Contains(err.Error(), strings.Repeat("x", 41)) {
			t.Errorf("%q: error echoes more than 40 characters of input: %q", truncate(tt.spec, 40), err)
		}
	}
}

func TestBusinessHoursContains(t *testing.T) {
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Skipf("no zone database: %v", err)
	}
	at := func(day, hh, mm int) time.Time { // March 2025: the 3rd is a Monday
		return time.Date(2025, 3, day, hh, mm, 0, 0, stockholm)
	}
	spec := "Mon-Fri 09:00-12:00 13:00-17:00, Sat 10:00-14:00"
	tests := []struct {
		name string
		spec string
		now  time.Time
		want bool
	}{
		{"Monday morning", spec, at(3, 9, 0), true},
		{"before opening", spec, at(3, 8, 59), false},
		{"lunch break", spec, at(3, 12, 30), false},
		{"end is exclusive", spec, at(3, 17, 0), false},
		{"last minute", spec, at(7, 16, 59), true},
		{"seconds do not count", spec, time.Date(2025, 3, 7, 16, 59, 59, 999, stockholm), true},
		{"Saturday", spec, at(8, 11, 0), true},
		{"Sunday", spec, at(9, 11, 0), false},
		{"semicolons too", "Mon-Fri 09:00-12:00 13:00-17:00; Sat 10:00-14:00", at(8, 13, 59), true},
		{"wrapping range", "Fri-Mon 00:00-24:00", at(9, 3, 0), true},
		{"wrapping range excludes midweek", "Fri-Mon 00:00-24:00", at(5, 3, 0), false},
		{"24:00 covers the last minute", "Mon 00:00-24:00", at(3, 23, 59), true},
		{"24:00 does not spill into the next day", "Mon 00:00-24:00", at(4, 0, 0), false},
		{"overnight split in two entries", "Fri 22:00-24:00; Sat 00:00-02:00", at(8, 1, 30), true},
		{"full day names", "monday 08:00-09:00", at(3, 8, 15), true},
		{"same-day range", "Wed-Wed 08:00-09:00", at(5, 8, 0), true},
		{"same-day range is one day", "Wed-Wed 08:00-09:00", at(6, 8, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseBusinessHours(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Contains(tt.now); got != tt.want {
				t.Errorf("Contains(%v) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
	var closed BusinessHours
	if closed.Contains(at(3, 9, 0)) {
		t.Error("the zero BusinessHours is open")
	}
}

// FuzzParseBusinessHours checks that no spec panics the parser, that errors stay
// short, and that a parsed schedule holds only sane ranges and answers Contains.
func FuzzParseBusinessHours(f *testing.F) {
	for _, seed := range []string{
		"Mon-Fri 09:00-17:00, Sat 10:00-14:00",
		"Mon-Fri 09:00-12:00 13:00-17:30; sat-SUN 10:00-24:00;",
		"Fri-Mon 00:00-24:00",
		"Sat,Sun 10:00-14:00",
		"Mon +9:00-10:00",
		"Mon 24:00-24:00",
		"weekdays 9-5",
		";,;",
		"",
	} {
		f.Add(seed)
	}
	times := []time.Time{
		time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 3, 5, 12, 30, 0, 0, time.UTC),
		time.Date(2025, 3, 9, 23, 59, 59, 0, time.UTC),
		time.Date(2025, 3, 9, 23, 59, 59, 0, time.FixedZone("x", -12*3600)),
		{},
	}
	f.Fuzz(func(t *testing.T, spec string) {
		h, err := ParseBusinessHours(spec)
		if err != nil {
			// 40 quoted runes, each at most 10 bytes once escaped, plus the message.
			if msg := err.Error(); msg == "" || len(msg) > 600 {
				t.Fatalf("bad error message for %q: %q", spec, msg)
			}
			return
		}
		for d, ranges := range h.days {
			for _, r := range ranges {
				if r.from < 0 || r.to > 24*60 || r.from >= r.to {
					t.Fatalf("%q: bad range %+v on %v", spec, r, time.Weekday(d))
				}
			}
		}
		for _, tm := range times {
			h.Contains(tm)
		}
	})
}
