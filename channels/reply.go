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
	// Attachments are the reply's files, in order; only an Attaching channel is handed any.
	Attachments []Attachment
	// Parts remembers the parts of the reply sent before (nil: none is remembered).
	Parts PartLog
	// Choices are answer buttons under the text (a satisfaction survey's ratings): Messenger sends them
	// as quick replies, WhatsApp as an interactive list; a tap comes back with the choice's payload.
	Choices []Choice
}

// Choice is an answer button of a reply: its title and the payload a tap sends back.
type Choice struct {
	Title   string `json:"title"`
	Payload string `json:"payload"`
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

// DefaultReplyRetry is how long a channel retries a reply it failed to send temporarily (SMTP
// 4xx, a refused connection, a timeout, a provider's 5xx or 429) before it is marked failed.
const DefaultReplyRetry = 24 * time.Hour

// MaxReplyRetry bounds the per-channel retry period (reply_retry_seconds).
const MaxReplyRetry = 7 * 24 * time.Hour

// Retrying is a configuration with its own retry period for replies (reply_retry_seconds).
type Retrying interface {
	// ReplyRetry returns the period; 0 means DefaultReplyRetry.
	ReplyRetry() time.Duration
}

// ReplyRetry returns how long replies on a channel of configuration c are retried.
func ReplyRetry(c Config) time.Duration {
	if r, ok := c.(Retrying); ok {
		if d := r.ReplyRetry(); d > 0 {
			return min(d, MaxReplyRetry)
		}
	}
	return DefaultReplyRetry
}

// ReplyRouted is a configuration of a channel that cannot send itself (a form, a phone line):
// it names the channel its replies go out on.
type ReplyRouted interface {
	// ReplyChannelID returns the channel replies go out on; "" lets the reply pick one.
	ReplyChannelID() string
}

// Sending is a configuration that may lack what its channel sends with (an email channel without an SMTP relay).
type Sending interface {
	// CannotSend says what is missing to send replies ("has no config.smtp relay"); "" when nothing is.
	CannotSend() string
}
