// Package whatsapp is the WhatsApp Business (Cloud API) channel: a business
// number's conversations, received through Meta's signed webhooks and answered
// through the Graph API.
package whatsapp

import (
	"context"
	"fmt"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/domain"
)

// Type is the WhatsApp channel type.
const Type channels.Type = "whatsapp"

// Channel is the WhatsApp channel.
type Channel struct {
	graph *graph.Client
}

// New returns the WhatsApp channel, sending through g.
func New(g *graph.Client) *Channel { return &Channel{graph: g} }

// Type returns Type.
func (*Channel) Type() channels.Type { return Type }

// NewConfig returns an empty *Config.
func (*Channel) NewConfig() channels.Config { return &Config{} }

// TierRequired returns the professional tier.
func (*Channel) TierRequired() string { return domain.TierProfessional }

// Traits returns WhatsApp's customer-service window (24 h), after which only templates go out.
func (*Channel) Traits() traits.Traits {
	return traits.Traits{Window: traits.WindowTemplates, Label: "WhatsApp"}
}

// ExternalKey returns the phone number id, which one account at most may connect.
func (c *Config) ExternalKey() string { return c.PhoneNumberID }

// ExternalKeyField names the field ExternalKey comes from.
func (*Config) ExternalKeyField() string { return "config.phone_number_id" }

// Send sends a reply as free-form text, or r.Template when set.
func (c *Channel) Send(ctx context.Context, r channels.Reply) (channels.Sent, error) {
	cfg, ok := r.Config.(*Config)
	if !ok {
		return channels.Sent{}, channels.Reject(fmt.Sprintf("whatsapp channel given a %T configuration", r.Config), nil)
	}
	if c.graph == nil {
		return channels.Sent{}, channels.Reject("no Graph API client configured", nil)
	}
	if r.Template == nil {
		id, err := channels.SendParts(ctx, r.Parts, c.parts(cfg, r)) // each part's Graph error is mapped, the log's errors are transient
		if err != nil {
			return channels.Sent{}, err
		}
		return channels.Sent{ProviderID: id}, nil
	}
	id, err := c.graph.SendWhatsAppTemplate(ctx, cfg.AccessToken, cfg.PhoneNumberID, r.Customer.ExternalUserID,
		graph.Template{Name: r.Template.Name, Language: r.Template.Language, Components: r.Template.Components})
	if err != nil {
		return channels.Sent{}, graph.Refusal(err)
	}
	return channels.Sent{ProviderID: id}, nil
}

// parts are the calls a reply takes: its text, then each file uploaded to the number's media store
// and sent as an image, audio, video or document message.
func (c *Channel) parts(cfg *Config, r channels.Reply) []channels.Part {
	to := r.Customer.ExternalUserID
	var parts []channels.Part
	if r.Text != "" || len(r.Attachments) == 0 {
		parts = append(parts, channels.Part{Name: "text", Send: func(ctx context.Context) (string, error) {
			if len(r.Choices) > 0 { // a survey's ratings: an interactive list
				choices := make([]graph.Choice, 0, len(r.Choices))
				for _, ch := range r.Choices {
					choices = append(choices, graph.Choice{Title: ch.Title, ID: ch.Payload})
				}
				id, err := c.graph.SendWhatsAppChoices(ctx, cfg.AccessToken, cfg.PhoneNumberID, to, r.Text, choices)
				return id, graph.Refusal(err)
			}
			id, err := c.graph.SendWhatsAppText(ctx, cfg.AccessToken, cfg.PhoneNumberID, to, r.Text)
			return id, graph.Refusal(err)
		}})
	}
	for _, f := range r.Attachments {
		parts = append(parts, channels.Part{Name: fmt.Sprintf("file:%d", f.N), Send: func(ctx context.Context) (string, error) {
			file := graph.File{Name: f.Name, ContentType: f.ContentType, Content: f.Content}
			media, err := c.graph.UploadWhatsAppMedia(ctx, cfg.AccessToken, cfg.PhoneNumberID, file)
			if err != nil {
				return "", graph.Refusal(err)
			}
			id, err := c.graph.SendWhatsAppMedia(ctx, cfg.AccessToken, cfg.PhoneNumberID, to,
				graph.WhatsAppMedia{Kind: graph.WhatsAppMediaKind(f.ContentType, len(f.Content)), MediaID: media, Filename: f.Name})
			return id, graph.Refusal(err)
		}})
	}
	return parts
}

// AttachmentLimits returns no limit below routedesk's own: the Cloud API takes documents up to 100 MB,
// and an image, audio or video over its kind's limit goes out as a document.
func (*Channel) AttachmentLimits() channels.AttachmentLimits { return channels.AttachmentLimits{} }
