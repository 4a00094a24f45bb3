// Package slatest holds the SLA exactness table (docs/sla.md), shared by the deadline arithmetic's
// tests (sla) and the workflow's, which fire the same rows' timers under time skipping.
package slatest

import (
	"time"

	"github.com/routedesk/routedesk/sla"
)

const stockholm = "Europe/Stockholm"

// Weekdays is Monday to Friday, 09:00 to 17:00 in Stockholm.
var Weekdays = sla.CalendarSpec{Timezone: stockholm, Hours: "Mon-Fri 09:00-17:00"}

// Case is one row of the exactness table: a clock started at Start with Target, counting
// in Calendar when Business is set (else every hour), paused during Pauses.
type Case struct {
	Name     string
	Start    string // RFC 3339
	Target   time.Duration
	Calendar sla.CalendarSpec
	Business bool
	Pauses   [][2]string
	Want     string // RFC 3339; "" = no deadline
}

// Table is the exactness table of docs/sla.md; the workflow's time-skipping test fires
// timers for the same rows.
var Table = []Case{
	{Name: "friday 16:30 plus 1 business hour is monday 09:30", Start: "2026-12-04T16:30:00+01:00", Target: time.Hour,
		Calendar: Weekdays, Business: true, Want: "2026-12-07T09:30:00+01:00"},
	{Name: "holidays are skipped", Start: "2026-12-23T16:30:00+01:00", Target: time.Hour, Business: true,
		Calendar: sla.CalendarSpec{Timezone: stockholm, Hours: "Mon-Fri 09:00-17:00", Holidays: []string{"2026-12-24", "2026-12-25"}},
		Want:     "2026-12-28T09:30:00+01:00"},
	{Name: "DST starts over the weekend: monday 09:30 is in summer time", Start: "2026-03-27T16:30:00+01:00", Target: time.Hour,
		Calendar: Weekdays, Business: true, Want: "2026-03-30T09:30:00+02:00"},
	{Name: "DST starts: the 23-hour sunday counts 23 hours", Start: "2026-03-28T12:00:00+01:00", Target: 24 * time.Hour,
		Calendar: sla.CalendarSpec{Timezone: stockholm, Hours: "Mon-Sun 00:00-24:00"}, Business: true, Want: "2026-03-29T13:00:00+02:00"},
	{Name: "DST ends: the 25-hour sunday counts 25 hours", Start: "2026-10-24T12:00:00+02:00", Target: 24 * time.Hour,
		Calendar: sla.CalendarSpec{Timezone: stockholm, Hours: "Mon-Sun 00:00-24:00"}, Business: true, Want: "2026-10-25T11:00:00+01:00"},
	{Name: "a lunch break does not count", Start: "2026-12-07T11:30:00+01:00", Target: time.Hour, Business: true,
		Calendar: sla.CalendarSpec{Timezone: stockholm, Hours: "Mon-Fri 09:00-12:00 13:00-17:00"}, Want: "2026-12-07T13:30:00+01:00"},
	{Name: "calendar time runs through the weekend", Start: "2026-12-04T16:30:00+01:00", Target: time.Hour,
		Calendar: Weekdays, Business: false, Want: "2026-12-04T17:30:00+01:00"},
	{Name: "pause and resume", Start: "2026-12-07T09:00:00+01:00", Target: 4 * time.Hour, Calendar: Weekdays, Business: true,
		Pauses: [][2]string{{"2026-12-07T10:00:00+01:00", "2026-12-07T11:30:00+01:00"}}, Want: "2026-12-07T14:30:00+01:00"},
	{Name: "a pause over closed hours costs nothing more", Start: "2026-12-04T16:00:00+01:00", Target: 2 * time.Hour, Calendar: Weekdays, Business: true,
		Pauses: [][2]string{{"2026-12-05T10:00:00+01:00", "2026-12-06T10:00:00+01:00"}}, Want: "2026-12-07T10:00:00+01:00"},
	{Name: "a pause still running has no deadline", Start: "2026-12-07T09:00:00+01:00", Target: time.Hour, Calendar: Weekdays, Business: true,
		Pauses: [][2]string{{"2026-12-07T09:30:00+01:00", ""}}, Want: ""},
}
