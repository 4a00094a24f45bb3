package chat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStatusAt(t *testing.T) {
	hours := &Config{AwayMessage: "Back soon", Availability: &Availability{Mode: AvailabilityBusinessHours, Timezone: "Europe/Berlin", Hours: "Mon-Fri 09:00-17:00"}}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		require.NoError(t, err)
		return v
	}
	// Wednesday 2026-03-04.
	require.Equal(t, Status{Open: true, AwayMessage: "Back soon"}, hours.StatusAt(at("2026-03-04 10:00"), "UTC"))
	st := hours.StatusAt(at("2026-03-04 17:00"), "UTC")
	require.False(t, st.Open)
	require.Equal(t, at("2026-03-05 09:00").UTC(), *st.NextOpenAt)
	st = hours.StatusAt(at("2026-03-06 18:30"), "UTC") // Friday evening → Monday
	require.Equal(t, at("2026-03-09 09:00").UTC(), *st.NextOpenAt)
	require.Equal(t, "Back soon", st.AwayMessage)

	// No timezone: the account's.
	noZone := &Config{Availability: &Availability{Mode: AvailabilityBusinessHours, Hours: "Mon-Fri 09:00-17:00"}}
	require.True(t, noZone.StatusAt(at("2026-03-04 10:00"), "Europe/Berlin").Open)
	require.False(t, noZone.StatusAt(at("2026-03-04 10:00"), "America/New_York").Open) // 04:00 there

	away := &Config{Availability: &Availability{Mode: AvailabilityAway}}
	require.Equal(t, Status{Open: false}, away.StatusAt(at("2026-03-04 10:00"), "UTC"))
	require.True(t, (&Config{}).StatusAt(at("2026-03-04 03:00"), "UTC").Open)
	require.True(t, (&Config{Availability: &Availability{Mode: AvailabilityAlways}}).StatusAt(at("2026-03-04 03:00"), "UTC").Open)
}
