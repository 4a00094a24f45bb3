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

// welcomePrefix starts the external id of every automated first message.
const welcomePrefix = "welcome:"

// Welcome sends a new Messenger conversation's automated first messages: with
// implicit GDPR consent the consent notice (and the consent is recorded on the
// contact), then the channel's instant reply. Each is stored as an outbound
// message; a repeat sends nothing twice. Each Graph call is bounded by
// SendTimeout and the activity heartbeats while it runs.
func (a *Activities) Welcome(ctx context.Context, in WelcomeInput) error {
	_, err := withHeartbeat(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, a.welcome(ctx, in) })
	return err
}

// FailWelcomeInput names a conversation whose automated first messages gave up, and why.
type FailWelcomeInput struct {
	AccountID      string `json:"account_id"`
	ConversationID string `json:"conversation_id"`
	Reason         string `json:"reason"`
}

// FailWelcome marks the conversation's automated first messages that are
// still queued failed with the reason, once Welcome's bounded retries ran out.
func (a *Activities) FailWelcome(ctx context.Context, in FailWelcomeInput) error {
	_, err := a.Store.FailQueuedOutbound(ctx, in.AccountID, in.ConversationID, welcomePrefix, in.Reason)
	return classify(err)
}

func (a *Activities) welcome(ctx context.Context, in WelcomeInput) error {
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
		if err := a.sendAutomated(ctx, in, m, welcomePrefix+"consent", m.GDPR.Text); err != nil {
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
		return a.sendAutomated(ctx, in, m, welcomePrefix+"instant-reply", m.InstantReply)
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
	callCtx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	if _, err := a.Graph.SendMessenger(callCtx, m.PageAccessToken, graph.MessengerMessage{PSID: customer.ExternalUserID, Text: text}); err != nil {
		if graph.IsRetryable(err) || ctx.Err() != nil {
			return fmt.Errorf("send %s: %w", key, err)
		}
		_, err := a.Store.FailOutbound(ctx, in.AccountID, msg.ID, "Meta refused the message: "+err.Error())
		return classify(err) // a refused automated message is not retried
	}
	return classify(a.Store.SetMessageStatus(ctx, in.AccountID, msg.ID, domain.MessageSent))
}
