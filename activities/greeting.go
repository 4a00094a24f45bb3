package activities

import (
	"context"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/health"
)

// WelcomeInput names a new conversation, right after the customer's first message.
type WelcomeInput struct {
	AccountID      string `json:"account_id"`
	ChannelID      string `json:"channel_id"`
	ConversationID string `json:"conversation_id"`
	ContactID      string `json:"contact_id"`
}

// Welcome hands a new conversation to its channel's first-contact courtesy
// (channels.Welcomer: Messenger's consent notice and instant reply); a channel
// without one does nothing. The activity heartbeats while it runs; the channel
// bounds each of its calls.
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
	_, err := a.Store.FailQueuedOutbound(ctx, in.AccountID, in.ConversationID, channels.WelcomePrefix, in.Reason)
	return classify(err)
}

func (a *Activities) welcome(ctx context.Context, in WelcomeInput) error {
	ch, err := a.Store.Channel(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return classify(err)
	}
	impl, ok := a.channels().Lookup(channels.Type(ch.Type))
	if !ok {
		return nil
	}
	w, ok := impl.(channels.Welcomer)
	if !ok {
		return nil
	}
	raw, err := a.Store.ChannelConfig(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return classify(err)
	}
	cfg, err := channels.Decode(impl.NewConfig(), raw)
	if err != nil {
		return classify(err)
	}
	err = w.Welcome(ctx, channels.Welcome{Config: cfg, AccountID: in.AccountID, ChannelID: in.ChannelID,
		ConversationID: in.ConversationID, ContactID: in.ContactID})
	a.Store.RecordHealth(ctx, in.ChannelID, health.SendComponent(ch.Type), err)
	return classify(err)
}
