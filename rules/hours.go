package rules

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // time zones work even where the system has no zoneinfo

	"github.com/routedesk/routedesk/domain"
)

// parsedSchedule is a cache entry: a schedule or the reason the spec is bad.
type parsedSchedule struct {
	s   domain.BusinessHours
	err error
}

// loadedLocation is a cache entry: a time zone or the reason it does not load.
type loadedLocation struct {
	loc *time.Location
	err error
}

// Caches shared by all programs; time.LoadLocation reads the zone database.
var (
	scheduleCache = newBoundedCache[parsedSchedule](256)
	locationCache = newBoundedCache[loadedLocation](128)
)

// cachedSchedule returns the cached parse of spec (see domain.ParseBusinessHours for the grammar).
func cachedSchedule(spec string) (domain.BusinessHours, error) {
	p := scheduleCache.getOrCompute(spec, func(spec string) parsedSchedule {
		s, err := domain.ParseBusinessHours(spec)
		if err != nil {
			err = fmt.Errorf("business hours: %w", err)
		}
		return parsedSchedule{s: s, err: err}
	})
	return p.s, p.err
}

// cachedLocation returns the cached time zone named tz.
func cachedLocation(tz string) (*time.Location, error) {
	l := locationCache.getOrCompute(tz, func(tz string) loadedLocation {
		if strings.EqualFold(tz, "local") {
			return loadedLocation{err: fmt.Errorf("time zone %q is not allowed; name an IANA zone such as \"Europe/Stockholm\"", tz)}
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return loadedLocation{err: fmt.Errorf("unknown time zone %q (want an IANA name such as \"Europe/Stockholm\")", tz)}
		}
		return loadedLocation{loc: loc}
	})
	return l.loc, l.err
}

// inBusinessHours reports whether now, in time zone tz ("" keeps now's zone), falls in spec.
func inBusinessHours(now time.Time, spec, tz string) (bool, error) {
	s, err := cachedSchedule(spec)
	if err != nil {
		return false, err
	}
	if tz != "" {
		loc, err := cachedLocation(tz)
		if err != nil {
			return false, err
		}
		now = now.In(loc)
	}
	return s.Contains(now), nil
}
