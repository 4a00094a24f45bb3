// Package form is the web form channel: a site's form submissions become conversations.
package form

import (
	"context"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/internal/httpx"
)

// Type is the form channel type.
const Type channels.Type = "form"

// Channel is the web form channel.
type Channel struct {
	limits httpx.RateLimits // the public form's per-IP rate limits
}

// New returns the form channel.
func New() *Channel { return &Channel{} }

// Type returns Type.
func (*Channel) Type() channels.Type { return Type }

// NewConfig returns an empty *Config.
func (*Channel) NewConfig() channels.Config { return &Config{} }

// TierRequired returns "": every tier may connect a form.
func (*Channel) TierRequired() string { return "" }

// Traits returns no reply window.
func (*Channel) Traits() traits.Traits { return traits.Traits{} }

// Send refuses: a form channel cannot write back. A reply to a form submission goes out on the channel
// its config's reply_channel_id (or the reply's channel_id) names; one handed here (from
// before replies went out that way) is failed with that advice rather than left queued.
func (*Channel) Send(context.Context, channels.Reply) (channels.Sent, error) {
	return channels.Sent{}, channels.Reject("a form channel cannot send replies: reply again to send it by email or WhatsApp (channel_id, or the channel's reply_channel_id)", nil)
}

// Detach drops the form's ticket fields (the fields mapped to the ticket's subject and
// description) when the form channel is disconnected: the form no longer makes tickets.
// Past submissions and their tickets stay.
func (*Channel) Detach(cfg channels.Config) channels.Config {
	f, ok := cfg.(*Config)
	if !ok {
		return cfg
	}
	out := *f
	out.SubjectField, out.DescriptionField = "", ""
	return &out
}
