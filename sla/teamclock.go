package sla

import (
	"time"

	"github.com/routedesk/routedesk/domain"
)

// Span is a span of time a team held a ticket; a zero To is a span still running.
type Span struct {
	TeamID   string
	From, To time.Time
}

// TeamClocks totals each team's spans, teams in the order they first held the ticket; a running
// span counts to now. The wall time is always given (how long the team held the ticket, pauses
// included); the business time too when p counts in business hours (p non-nil with
// BusinessHoursOnly): the SLA clock time the team used, the open time of its calendar within the
// spans less pauses (the ticket's pending or on-hold spans the policy pauses on; holidays and
// hours outside the week's schedule do not count). Pure: the same arguments give the same answer.
func TeamClocks(spans []Span, now time.Time, p *Policy, pauses []Interval) []domain.TeamClock {
	business := p != nil && p.BusinessHoursOnly
	var cal Calendar
	if business {
		cal = p.Clock()
	}
	out := []domain.TeamClock{}
	at := map[string]int{}
	for _, sp := range spans {
		end := sp.To
		if end.IsZero() {
			end = now
		}
		end = maxTime(end, sp.From)
		i, ok := at[sp.TeamID]
		if !ok {
			i = len(out)
			at[sp.TeamID] = i
			out = append(out, domain.TeamClock{TeamID: sp.TeamID})
			if business {
				out[i].BusinessSeconds = new(float64)
			}
		}
		out[i].Seconds += end.Sub(sp.From).Seconds()
		if business {
			*out[i].BusinessSeconds += Elapsed(sp.From, end, cal, pauses).Seconds()
		}
	}
	return out
}
