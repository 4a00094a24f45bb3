package calling

import (
	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// Config is the configuration of a phone line.
type Config struct {
	// PhoneNumber is the line's number, E.164 (+14155550123).
	PhoneNumber string `json:"phone_number" validate:"required,e164_strict"`
	// ReplyChannelID names the channel replies to its tickets go out on (an email channel, or a
	// WhatsApp channel for a phone line); "" picks a connected email channel when the contact has an address.
	ReplyChannel string `json:"reply_channel_id,omitempty" validate:"max=100,no_space"`
}

// Type returns Type.
func (*Config) Type() channels.Type { return Type }

// ApplyDefaults fills unset optional fields with their defaults.
func (*Config) ApplyDefaults() {}

// Check reports the rules struct tags cannot express.
func (*Config) Check() []domain.FieldError { return nil }

// ReplyChannelID returns the channel replies go out on ("": one the reply picks).
func (c *Config) ReplyChannelID() string { return c.ReplyChannel }
