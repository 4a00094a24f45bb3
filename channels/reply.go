package channels

import (
	"encoding/json"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// Reply is an outbound message to hand to a channel. It is already stored (as MessageID, status queued).
type Reply struct {
	// Config is the channel's configuration, secrets unsealed.
	Config         Config
	AccountID      string
	ChannelID      string
	ConversationID string
	TicketID       string
	// MessageID is the stored outbound message; senders use it as an idempotency key.
	MessageID string
	// Customer is who the conversation is with (their email, external user id, …).
	Customer     domain.Author
	AuthorUserID string
	Text         string
	HTML         string
	// Tag is a provider's message tag (HUMAN_AGENT on Messenger after the standard window), or "".
	Tag string
	// Template is an approved template (WhatsApp), sent instead of Text.
	Template *Template
	// SentAt is when the reply was stored.
	SentAt time.Time
}

// Template is an approved message template and its parameters.
type Template struct {
	Name       string
	Language   string
	Components []json.RawMessage
}

// Sent is what a channel did with a reply.
type Sent struct {
	// ProviderID is the provider's id of the message, when it gives one.
	ProviderID string
	// Queued means the channel has not sent the reply (it has no sender yet, or the customer fetches replies): it stays queued.
	Queued bool
}
