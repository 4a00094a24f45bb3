package messenger

import (
	"context"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Welcome sends a new Messenger conversation's automated first messages: with
// implicit GDPR consent the consent notice (and the consent is recorded on the
// contact), then the channel's instant reply. Each is stored as an outbound
// message; a repeat sends nothing twice. Each Graph call is bounded by
// SendTimeout. A refused message is marked failed with the reason and does not
// fail the welcome; transient errors are returned for a retry.
func (c *Channel) Welcome(ctx context.Context, in channels.Welcome) error {
	m, ok := in.Config.(*Config)
	if !ok {
		return domain.Invalid("config", fmt.Sprintf("the messenger channel was given a %T configuration", in.Config))
	}
	implicit := m.GDPR != nil && m.GDPR.Enabled && m.GDPR.Consent == "implicit"
	if implicit {
		if err := c.sendAutomated(ctx, in, m, channels.WelcomePrefix+"consent", m.GDPR.Text); err != nil {
			return err
		}
		if in.ContactID != "" {
			if err := c.store.RecordConsent(ctx, in.AccountID, in.ContactID, domain.Consent{
				Given: true, Mode: "implicit", At: time.Now().UTC(), ChannelID: in.ChannelID, Text: m.GDPR.Text}); err != nil {
				return err
			}
		}
	}
	if m.InstantReply != "" {
		return c.sendAutomated(ctx, in, m, channels.WelcomePrefix+"instant-reply", m.InstantReply)
	}
	return nil
}

// sendAutomated stores and sends one automated Messenger message (as RESPONSE, inside the window).
func (c *Channel) sendAutomated(ctx context.Context, in channels.Welcome, m *Config, key, text string) error {
	msg, err := c.store.AddOutbound(ctx, store.Outbound{AccountID: in.AccountID, ChannelID: in.ChannelID,
		ConversationID: in.ConversationID, ExternalID: key + ":" + in.ConversationID, Text: text})
	if err != nil {
		return err
	}
	if msg.Status != domain.MessageQueued {
		return nil
	}
	customer, err := c.store.ConversationCustomer(ctx, in.AccountID, in.ConversationID)
	if err != nil {
		return err
	}
	if c.graph == nil {
		return nil
	}
	callCtx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	if _, err := c.graph.SendMessenger(callCtx, m.PageAccessToken, graph.MessengerMessage{PSID: customer.ExternalUserID, Text: text}); err != nil {
		if graph.IsRetryable(err) || ctx.Err() != nil {
			return fmt.Errorf("send %s: %w", key, err)
		}
		_, err := c.store.FailOutbound(ctx, in.AccountID, msg.ID, "Meta refused the message: "+err.Error())
		return err // a refused automated message is not retried
	}
	return c.store.SetMessageStatus(ctx, in.AccountID, msg.ID, domain.MessageSent)
}
