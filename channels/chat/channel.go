// Package chat is the live chat channel: a website widget's conversations.
package chat

import (
	"context"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/traits"
)

// Type is the chat channel type.
const Type channels.Type = "chat"

// Channel is the live chat channel.
type Channel struct{}

// New returns the chat channel.
func New() *Channel { return &Channel{} }

// Type returns Type.
func (*Channel) Type() channels.Type { return Type }

// NewConfig returns an empty *Config.
func (*Channel) NewConfig() channels.Config { return &Config{} }

// TierRequired returns "": every tier may connect a chat.
func (*Channel) TierRequired() string { return "" }

// Traits returns no reply window.
func (*Channel) Traits() traits.Traits { return traits.Traits{} }

// Routes registers nothing yet: visitors' messages arrive through the generic messages endpoint.
func (*Channel) Routes(channels.Router, channels.Host) {}

// Send marks the reply sent: the chat widget reads replies through the API.
func (*Channel) Send(context.Context, channels.Reply) (channels.Sent, error) {
	return channels.Sent{}, nil
}
