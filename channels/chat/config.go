package chat

import (
	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"

	// Embed the IANA time zone database so timezone validation does not depend on the host.
	_ "time/tzdata"
)

// Chat availability modes.
const (
	AvailabilityAlways        = "always"
	AvailabilityBusinessHours = "business_hours"
	AvailabilityAway          = "away"
)

// Config is the configuration of a live chat widget; every field is optional.
type Config struct {
	// AccentColor is the widget's accent color, #rrggbb.
	AccentColor string `json:"accent_color,omitempty" validate:"omitempty,rrggbb"`
	// Font is a CSS font-family name, free text of at most 64 characters on one line.
	Font string `json:"font,omitempty" validate:"max=64,single_line"`
	// Availability says when the widget offers live chat.
	Availability *Availability `json:"availability,omitempty"`
}

// Availability says when a chat widget is staffed.
type Availability struct {
	// Mode is always, business_hours or away.
	Mode string `json:"mode" validate:"required,oneof=always business_hours away"`
	// Timezone is the IANA zone Hours are read in, e.g. Europe/Berlin; empty means the account's zone.
	Timezone string `json:"timezone,omitempty" validate:"omitempty,max=64,timezone_name"`
	// Hours are the opening hours, e.g. "Mon-Fri 09:00-17:00; Sat-Sun 10:00-14:00", in domain.ParseBusinessHours's grammar; required for business_hours.
	Hours string `json:"hours,omitempty" validate:"max=500"`
}

// Type returns Type.
func (*Config) Type() channels.Type { return Type }

// ApplyDefaults fills unset optional fields with their defaults.
func (*Config) ApplyDefaults() {}

// Check reports the rules struct tags cannot express.
func (c *Config) Check() []domain.FieldError {
	a := c.Availability
	if a == nil {
		return nil
	}
	if a.Hours == "" {
		if a.Mode == AvailabilityBusinessHours {
			return []domain.FieldError{{Field: "config.availability.hours", Message: "is required when mode is business_hours, e.g. \"Mon-Fri 09:00-17:00\""}}
		}
		return nil
	}
	if _, err := domain.ParseBusinessHours(a.Hours); err != nil {
		return []domain.FieldError{{Field: "config.availability.hours", Message: err.Error()}}
	}
	return nil
}
