package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/channelconfig"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/graph"
	"github.com/routedesk/routedesk/store"
)

// WelcomeInput names a new Messenger conversation, right after the visitor's first message.
type WelcomeInput struct {
	AccountID      string `json:"account_id"`
	ChannelID      string `json:"channel_id"`
	ConversationID string `json:"conversation_id"`
	ContactID      string `json:"contact_id"`
}

// Welcome sends a new Messenger conversation's automated first messages: with
// implicit GDPR consent the consent notice (and the consent is recorded on the
// contact), then the channel's instant reply. Each is stored as an outbound
// message; a repeat sends nothing twice.
func (a *Activities) Welcome(ctx context.Context, in WelcomeInput) error {
	raw, err := a.Store.ChannelConfig(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return classify(err)
	}
	cfg, err := channelconfig.Decode(channelconfig.TypeMessenger, raw)
	if err != nil {
		return classify(err)
	}
	m := cfg.(*channelconfig.Messenger)
	implicit := m.GDPR != nil && m.GDPR.Enabled && m.GDPR.Consent == "implicit"
	if implicit {
		if err := a.sendAutomated(ctx, in, m, "welcome:consent", m.GDPR.Text); err != nil {
			return err
		}
		if in.ContactID != "" {
			if err := a.Store.RecordConsent(ctx, in.AccountID, in.ContactID, domain.Consent{
				Given: true, Mode: "implicit", At: time.Now().UTC(), ChannelID: in.ChannelID, Text: m.GDPR.Text}); err != nil {
				return classify(err)
			}
		}
	}
	if m.InstantReply != "" {
		return a.sendAutomated(ctx, in, m, "welcome:instant-reply", m.InstantReply)
	}
	return nil
}

// sendAutomated stores and sends one automated Messenger message (as RESPONSE, inside the window).
func (a *Activities) sendAutomated(ctx context.Context, in WelcomeInput, m *channelconfig.Messenger, key, text string) error {
	msg, err := a.Store.AddOutbound(ctx, store.Outbound{AccountID: in.AccountID, ChannelID: in.ChannelID,
		ConversationID: in.ConversationID, ExternalID: key + ":" + in.ConversationID, Text: text})
	if err != nil {
		return classify(err)
	}
	if msg.Status != domain.MessageQueued {
		return nil
	}
	customer, err := a.Store.ConversationCustomer(ctx, in.AccountID, in.ConversationID)
	if err != nil {
		return classify(err)
	}
	if a.Graph == nil {
		return nil
	}
	if _, err := a.Graph.SendMessenger(ctx, m.PageAccessToken, graph.MessengerMessage{PSID: customer.ExternalUserID, Text: text}); err != nil {
		if graph.IsRetryable(err) {
			return fmt.Errorf("send %s: %w", key, err)
		}
		_ = a.Store.SetMessageStatus(ctx, in.AccountID, msg.ID, domain.MessageFailed)
		return nil // a refused automated message does not hold up the conversation
	}
	return classify(a.Store.SetMessageStatus(ctx, in.AccountID, msg.ID, domain.MessageSent))
}
