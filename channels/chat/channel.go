// Package chat is the live chat channel: a website widget's conversations. Visitors
// open a session, send messages and receive agents' replies through the public
// visitor API (/chat/v1/{channel_id}/…) that the embeddable widget (/widget.js) uses.
package chat

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/internal/streamcap"
)

// Type is the chat channel type.
const Type channels.Type = "chat"

// Channel is the live chat channel.
type Channel struct {
	store Store
	now   func() time.Time
	// keys caches each channel's token signing key.
	keys sync.Map
	// shutdowns holds, per *http.Server, a channel closed when it shuts down (see shutdownSignal).
	shutdowns sync.Map

	hubOnce sync.Once
	hub     *hub
	log     *slog.Logger

	ipLimit, sessionLimit, messageLimit *limiter
	streams                             *streamcap.Caps
}

// New returns the chat channel, keeping visitors in st and rate-limiting visitors by DefaultLimits.
func New(st Store) *Channel { return NewWithLimits(st, DefaultLimits) }

// NewWithLimits returns the chat channel with the given rate limits.
func NewWithLimits(st Store, l Limits) *Channel {
	return &Channel{store: st, now: time.Now, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ipLimit: newLimiter(l.IPRate, l.IPBurst), sessionLimit: newLimiter(l.SessionRate, l.SessionBurst),
		messageLimit: newLimiter(l.MessageRate, l.MessageBurst), streams: newStreams(l.StreamsPerVisitor, l.StreamsPerServer)}
}

// Type returns Type.
func (*Channel) Type() channels.Type { return Type }

// NewConfig returns an empty *Config.
func (*Channel) NewConfig() channels.Config { return &Config{} }

// TierRequired returns "": every tier may connect a chat.
func (*Channel) TierRequired() string { return "" }

// Traits returns no reply window.
func (*Channel) Traits() traits.Traits { return traits.Traits{} }

// Send marks the reply sent and wakes the visitor's open widgets on every server process (PostgreSQL NOTIFY);
// the widget reads it through the visitor API.
func (c *Channel) Send(ctx context.Context, r channels.Reply) (channels.Sent, error) {
	if c.store == nil {
		return channels.Sent{}, nil
	}
	if err := c.store.MarkSent(ctx, r.AccountID, r.MessageID, ""); err != nil {
		return channels.Sent{}, err
	}
	if r.Customer.ExternalUserID != "" {
		if err := notify(ctx, c.store.DB(), r.Customer.ExternalUserID); err != nil {
			return channels.Sent{}, err
		}
	}
	return channels.Sent{}, nil
}
