package chat

import (
	"fmt"
	"net/url"
	"strings"

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
	// AllowedOrigins are the web origins (https://shop.example.com; http://localhost for development) whose pages may embed the widget.
	AllowedOrigins []string `json:"allowed_origins,omitempty" validate:"max=50"`
	// IdentitySecret signs logged-in visitors' emails: user_hash = hex(HMAC-SHA256(identity_secret, email)).
	IdentitySecret string `json:"identity_secret,omitempty" secret:"true" validate:"max=256,no_space"`
	// Greeting is shown in the widget before the visitor's first message.
	Greeting string `json:"greeting,omitempty" validate:"max=1000"`
	// AwayMessage is shown while the chat is away or outside its business hours.
	AwayMessage string `json:"away_message,omitempty" validate:"max=1000"`
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
	var errs []domain.FieldError
	for i, o := range c.AllowedOrigins {
		if msg := checkOrigin(o); msg != "" {
			errs = append(errs, domain.FieldError{Field: fmt.Sprintf("config.allowed_origins[%d]", i), Message: msg})
		}
	}
	return append(errs, c.checkAvailability()...)
}

// checkAvailability checks the business hours a business_hours mode needs.
func (c *Config) checkAvailability() []domain.FieldError {
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

// checkOrigin says what is wrong with an allowed origin, or "" when it is one:
// scheme://host[:port] with https, or http for localhost and 127.0.0.1, nothing else.
func checkOrigin(o string) string {
	const want = "must be an origin such as https://shop.example.com (http only for localhost and 127.0.0.1), without a path"
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return want
	}
	switch u.Scheme {
	case "https":
	case "http":
		if h := u.Hostname(); h != "localhost" && h != "127.0.0.1" {
			return want
		}
	default:
		return want
	}
	if strings.ToLower(o) != o && strings.ToLower(u.Host) != u.Host {
		return "must be lower case, as browsers send it"
	}
	return ""
}
