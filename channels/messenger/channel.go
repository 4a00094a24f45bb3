// Package messenger is the Facebook Messenger channel: a page's conversations,
// received through Meta's signed webhooks and answered through the Graph API.
package messenger

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/channels/traits"
)

// Type is the Messenger channel type.
const Type channels.Type = "messenger"

// SendTimeout bounds each Graph API call the channel makes on its own: courtesy
// messages in the Welcome activity (10 s, like replies), consent prompts and page
// greetings inside API requests (GraphCallTimeout).
const SendTimeout = 10 * time.Second

// GraphCallTimeout bounds each Graph API call made inside an API request
// (consent prompt, page greeting), so a Graph outage delays no answer by more.
const GraphCallTimeout = 3 * time.Second

// Channel is the Messenger channel.
type Channel struct {
	store Store
	graph *graph.Client
	log   *slog.Logger
}

// New returns the Messenger channel, keeping contacts, consents and its automated messages in st,
// sending through g and logging what it cannot report to log (nil: discarded).
func New(st Store, g *graph.Client, log *slog.Logger) *Channel {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Channel{store: st, graph: g, log: log}
}

// Type returns Type.
func (*Channel) Type() channels.Type { return Type }

// NewConfig returns an empty *Config.
func (*Channel) NewConfig() channels.Config { return &Config{} }

// TierRequired returns "": every tier may connect a page.
func (*Channel) TierRequired() string { return "" }

// Traits returns Messenger's windows (24 h standard, then 7 days for human agents) and its welcome.
func (*Channel) Traits() traits.Traits {
	return traits.Traits{Window: traits.WindowHumanAgent, Welcome: true, Label: "Messenger"}
}

// ExternalKey returns the page id, which one account at most may connect.
func (c *Config) ExternalKey() string { return c.PageID }

// ExternalKeyField names the field ExternalKey comes from.
func (*Config) ExternalKeyField() string { return "config.page_id" }

// Send sends a reply as RESPONSE inside the standard window, as MESSAGE_TAG HUMAN_AGENT when r.Tag says so.
func (c *Channel) Send(ctx context.Context, r channels.Reply) (channels.Sent, error) {
	cfg, ok := r.Config.(*Config)
	if !ok {
		return channels.Sent{}, channels.Reject(fmt.Sprintf("messenger channel given a %T configuration", r.Config), nil)
	}
	if c.graph == nil {
		return channels.Sent{}, channels.Reject("no Graph API client configured", nil)
	}
	m := graph.MessengerMessage{PSID: r.Customer.ExternalUserID, Text: r.Text, MessagingType: graph.MessagingTypeResponse}
	if r.Tag == graph.TagHumanAgent {
		m.MessagingType, m.Tag = graph.MessagingTypeMessageTag, graph.TagHumanAgent
	}
	for _, ch := range r.Choices {
		m.QuickReplies = append(m.QuickReplies, graph.QuickReply{Title: ch.Title, Payload: ch.Payload})
	}
	var parts []channels.Part
	if r.Text != "" || len(r.Attachments) == 0 {
		parts = append(parts, channels.Part{Name: "text", Send: func(ctx context.Context) (string, error) {
			id, err := c.graph.SendMessenger(ctx, cfg.PageAccessToken, m)
			return id, graph.Refusal(err)
		}})
	}
	for _, f := range r.Attachments {
		parts = append(parts, channels.Part{Name: fmt.Sprintf("file:%d", f.N), Send: func(ctx context.Context) (string, error) {
			id, err := c.graph.SendMessengerFile(ctx, cfg.PageAccessToken, graph.MessengerFile{PSID: m.PSID, MessagingType: m.MessagingType,
				Tag: m.Tag, File: graph.File{Name: f.Name, ContentType: f.ContentType, Content: f.Content}})
			return id, graph.Refusal(err)
		}})
	}
	id, err := channels.SendParts(ctx, r.Parts, parts) // each part's Graph error is mapped, the log's errors are transient
	if err != nil {
		return channels.Sent{}, err
	}
	return channels.Sent{ProviderID: id}, nil
}

// AttachmentLimits returns the Send API's: each file uploaded with a message of its own, up to 25 MB.
func (*Channel) AttachmentLimits() channels.AttachmentLimits {
	return channels.AttachmentLimits{MaxFileBytes: graph.MaxMessengerFileBytes}
}
