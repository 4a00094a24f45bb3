package channelconfig

import (
	"context"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/traits"
)

// TypeEmail is the team email channel type.
const TypeEmail channels.Type = "email"

// EmailChannel is the team email channel.
type EmailChannel struct{}

// NewEmail returns the team email channel.
func NewEmail() *EmailChannel { return &EmailChannel{} }

// Type returns TypeEmail.
func (*EmailChannel) Type() channels.Type { return TypeEmail }

// NewConfig returns an empty *Email.
func (*EmailChannel) NewConfig() channels.Config { return &Email{} }

// TierRequired returns "": every tier may connect team email.
func (*EmailChannel) TierRequired() string { return "" }

// Traits returns no reply window.
func (*EmailChannel) Traits() traits.Traits { return traits.Traits{} }

// Routes registers nothing yet: mail arrives through the generic messages endpoint.
func (*EmailChannel) Routes(channels.Router, channels.Host) {}

// Send keeps the reply queued: the SMTP sender is not wired yet.
func (*EmailChannel) Send(context.Context, channels.Reply) (channels.Sent, error) {
	return channels.Sent{Queued: true}, nil
}
