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

// Send refuses: a calling channel cannot write back. A reply to a call goes out on the channel
// its config's reply_channel_id (or the reply's channel_id) names; one handed here (from
// before replies went out that way) is failed with that advice rather than left queued.
func (*Channel) Send(context.Context, channels.Reply) (channels.Sent, error) {
	return channels.Sent{}, channels.Reject("a calling channel cannot send replies: reply again to send it by email or WhatsApp (channel_id, or the channel's reply_channel_id)", nil)
}

// ExternalKey returns the line's phone number, unique across accounts.
func (c *Config) ExternalKey() string { return c.PhoneNumber }

// ExternalKeyField names the field ExternalKey comes from.
func (*Config) ExternalKeyField() string { return "config.phone_number" }
