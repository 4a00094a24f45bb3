package email

import (
	"context"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/traits"
)

// Type is the team email channel type.
const Type channels.Type = "email"

// Channel is the team email channel.
type Channel struct{}

// New returns the team email channel.
func New() *Channel { return &Channel{} }

// Type returns Type.
func (*Channel) Type() channels.Type { return Type }

// NewConfig returns an empty *Config.
func (*Channel) NewConfig() channels.Config { return &Config{} }

// TierRequired returns "": every tier may connect team email.
func (*Channel) TierRequired() string { return "" }

// Traits returns no reply window.
func (*Channel) Traits() traits.Traits { return traits.Traits{} }

// Routes registers nothing yet: mail arrives through the generic messages endpoint.
func (*Channel) Routes(channels.Router, channels.Host) {}

// Send keeps the reply queued: the SMTP sender (Sender, Compose) is not wired to replies yet.
func (*Channel) Send(context.Context, channels.Reply) (channels.Sent, error) {
	return channels.Sent{Queued: true}, nil
}
