package channels

import (
	"context"

	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/domain"
)

// Channel is one channel type: its configuration, its inbound entry points and its sender.
type Channel interface {
	// Type names the channel type, as the API's "type" field does.
	Type() Type
	// NewConfig returns an empty configuration of this type, to decode into.
	NewConfig() Config
	// TierRequired returns the lowest account tier that may connect the channel; "" means any tier.
	TierRequired() string
	// Traits tells the conversation workflow how the channel's replies are limited.
	Traits() traits.Traits
	// Routes registers the channel's inbound HTTP entry points (none is fine).
	Routes(r Router, h Host)
	// Send hands an agent's (or an automated) reply to the channel; see SendError for failures.
	Send(ctx context.Context, r Reply) (Sent, error)
}

// Listener is a channel with long-running inbound work of its own (an SMTP listener, an IMAP poller).
type Listener interface {
	// Listen runs until ctx ends, accepting inbound messages through h.
	Listen(ctx context.Context, h Host) error
}

// Detacher is a channel whose configuration loses parts when the channel is disconnected
// (a form's ticket fields); what came in on it stays.
type Detacher interface {
	// Detach returns cfg without the parts only a connected channel keeps.
	Detach(cfg Config) Config
}

// Welcomer is a channel that greets a new conversation after the customer's first message.
type Welcomer interface {
	// Welcome sends the channel's first-contact messages (consent notice, instant reply); a repeat sends nothing twice.
	Welcome(ctx context.Context, w Welcome) error
}

// WelcomePrefix starts the external id of every automated first message, so that
// messages a Welcomer could not send in time are found and marked failed.
const WelcomePrefix = "welcome:"

// Welcome names a new conversation to greet.
type Welcome struct {
	// Config is the channel's configuration, secrets unsealed.
	Config         Config
	AccountID      string
	ChannelID      string
	ConversationID string
	ContactID      string
}

// Syncer is a channel that pushes its configuration to its provider when a channel is connected or changed (Messenger's page greeting).
type Syncer interface {
	// Sync pushes cfg (secrets unsealed) for ch; failures are logged, never fail the change.
	Sync(ctx context.Context, ch domain.Channel, cfg Config)
}
