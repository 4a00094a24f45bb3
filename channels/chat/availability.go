package chat

import (
	"time"

	"github.com/routedesk/routedesk/domain"
)

// Status is whether the chat is staffed now, as the widget shows it.
type Status struct {
	// Open is true when agents answer live; false when the chat is away or outside its hours.
	Open bool `json:"open"`
	// NextOpenAt is when business hours start again (null when open, or away with no hours).
	NextOpenAt *time.Time `json:"next_open_at"`
	// AwayMessage is the channel's away message, shown while closed.
	AwayMessage string `json:"away_message"`
}

// lookAhead bounds the search for the next opening: a schedule repeats weekly.
const lookAhead = 8 * 24 * time.Hour

// StatusAt returns the chat's availability at now; accountZone is used when the channel names no timezone.
// Messages are accepted in every state: outside hours the visitor is told when to expect an answer.
func (c *Config) StatusAt(now time.Time, accountZone string) Status {
	a := c.Availability
	st := Status{Open: true, AwayMessage: c.AwayMessage}
	if a == nil || a.Mode == AvailabilityAlways || a.Mode == "" {
		return st
	}
	if a.Mode == AvailabilityAway {
		st.Open = false
		return st
	}
	hours, err := domain.ParseBusinessHours(a.Hours)
	if err != nil {
		return st // refused when the channel was saved; an unreadable schedule never hides the chat
	}
	zone := a.Timezone
	if zone == "" {
		zone = accountZone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	t := now.In(loc)
	if hours.Contains(t) {
		return st
	}
	st.Open = false
	// Walk minute boundaries forward to the first open minute.
	m := t.Truncate(time.Minute).Add(time.Minute)
	for end := t.Add(lookAhead); m.Before(end); m = m.Add(time.Minute) {
		if hours.Contains(m) {
			next := m.UTC()
			st.NextOpenAt = &next
			break
		}
	}
	return st
}
