package calling

import (
	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// Config is the configuration of a phone line.
type Config struct {
	// PhoneNumber is the line's number, E.164 (+14155550123).
	PhoneNumber string `json:"phone_number" validate:"required,e164_strict"`
}

// Type returns Type.
func (*Config) Type() channels.Type { return Type }

// ApplyDefaults fills unset optional fields with their defaults.
func (*Config) ApplyDefaults() {}

// Check reports the rules struct tags cannot express.
func (*Config) Check() []domain.FieldError { return nil }
