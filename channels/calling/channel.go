// Package calling is the phone line channel: calls become conversations.
package calling

import (
	"context"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/domain"
)

// Type is the calling channel type.
const Type channels.Type = "calling"

// Channel is the phone line channel.
type Channel struct{}

// New returns the calling channel.
func New() *Channel { return &Channel{} }

// Type returns Type.
func (*Channel) Type() channels.Type { return Type }

// NewConfig returns an empty *Config.
func (*Channel) NewConfig() channels.Config { return &Config{} }

// TierRequired returns the professional tier.
func (*Channel) TierRequired() string { return domain.TierProfessional }

// Traits returns no reply window.
func (*Channel) Traits() traits.Traits { return traits.Traits{} }

// Send keeps the reply queued: there is no outbound call or SMS sender.
func (*Channel) Send(context.Context, channels.Reply) (channels.Sent, error) {
	return channels.Sent{Queued: true}, nil
}

// ExternalKey returns the line's phone number, unique across accounts.
func (c *Config) ExternalKey() string { return c.PhoneNumber }

// ExternalKeyField names the field ExternalKey comes from.
func (*Config) ExternalKeyField() string { return "config.phone_number" }
