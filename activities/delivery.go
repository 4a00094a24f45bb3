package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/health"
)

// DeliveryInput names a stored reply to hand to a channel. Only ids travel: the reply's
// content is read from PostgreSQL on each attempt.
type DeliveryInput struct {
	AccountID string `json:"account_id"`
	MessageID string `json:"message_id"`
	// ChannelID and ChannelType are the channel the reply goes out on: the conversation's, or
	// (Via) the one a form's or a call's replies go out on.
	ChannelID   string `json:"channel_id"`
	ChannelType string `json:"channel_type"`
	// Via is set when the channel is not the conversation's: the customer is the ticket's contact.
	Via            bool   `json:"via,omitempty"`
	ConversationID string `json:"conversation_id"`
	TicketID       string `json:"ticket_id"`
	AuthorUserID   string `json:"author_user_id,omitempty"`
	// Template is an approved WhatsApp template, sent instead of the text.
	Template *Template `json:"template,omitempty"`
	// GiveUpAt is when the channel's retry period ends: no attempt is planned after it.
	GiveUpAt time.Time `json:"give_up_at"`
	// FirstInterval and MaxInterval are the retry policy's backoff, for the next attempt the reply shows.
	FirstInterval time.Duration `json:"first_interval"`
	MaxInterval   time.Duration `json:"max_interval"`
}

// DeliverReply makes one attempt to hand a stored reply to its channel. A reply already
// settled (sent, failed, suppressed) is returned as it is. A refusal (SMTP 5xx, a provider's
// 4xx) marks it failed with the channel's text and returns it, no error. A temporary failure
// (SMTP 4xx, a refused connection, a timeout, a provider's 5xx or 429) marks it retrying with
// the reason and the next attempt's time, and is returned for the retry policy.
func (a *Activities) DeliverReply(ctx context.Context, in DeliveryInput) (ReplySent, error) {
	return withHeartbeat(ctx, func(ctx context.Context) (ReplySent, error) { return a.deliverReply(ctx, in) })
}

func (a *Activities) deliverReply(ctx context.Context, in DeliveryInput) (ReplySent, error) {
	msg, err := a.Store.Message(ctx, in.AccountID, in.MessageID)
	if err != nil {
		return ReplySent{}, classify(err)
	}
	out := ReplySent{MessageID: msg.ID, Status: msg.Status, Tag: msg.Tag, FailureReason: msg.FailureReason}
	if msg.Status != domain.MessageQueued && msg.Status != domain.MessageRetrying {
		return out, nil // settled by an earlier attempt (or a receipt)
	}
	sent, err := a.deliver(ctx, in, msg)
	switch refusal := channels.AsSendError(err); {
	case err == nil && sent.Queued:
		return out, nil // the customer fetches it (chat) or the channel type is unknown here
	case err == nil:
		out.Status, out.FailureReason = domain.MessageSent, ""
		return out, classify(a.Store.MarkSent(ctx, in.AccountID, msg.ID, sent.ProviderID))
	case refusal != nil && ctx.Err() == nil:
		if _, err := a.Store.RefuseOutbound(ctx, in.AccountID, msg.ID, refusal.Msg); err != nil {
			return ReplySent{}, err // retried: the refusal is recorded on the next attempt
		}
		out.Status, out.FailureReason = domain.MessageFailed, refusal.Msg
		out.OutsideWindow = refusal.Refusal == channels.OutsideWindow
		return out, nil
	}
	reason := failureText(err)
	next := a.nextAttempt(ctx, in)
	if merr := a.Store.MarkRetrying(ctx, in.AccountID, msg.ID, reason, next); merr != nil {
		return ReplySent{}, fmt.Errorf("%s (and recording it: %w)", reason, merr)
	}
	return ReplySent{}, fmt.Errorf("send reply on %s: %w", in.ChannelType, err)
}

// nextAttempt is when the retry policy tries the reply again after this attempt; nil when that
// is past the channel's retry period (the reply is about to fail).
func (a *Activities) nextAttempt(ctx context.Context, in DeliveryInput) *time.Time {
	if !activity.IsActivity(ctx) || in.FirstInterval <= 0 {
		return nil
	}
	attempt := activity.GetInfo(ctx).Attempt
	wait := in.FirstInterval
	for i := int32(1); i < attempt && wait < in.MaxInterval; i++ {
		wait *= 2
	}
	if in.MaxInterval > 0 {
		wait = min(wait, in.MaxInterval)
	}
	next := time.Now().Add(wait).UTC()
	if !in.GiveUpAt.IsZero() && next.After(in.GiveUpAt) {
		return nil
	}
	return &next
}

// failureText is what a reply shows of a temporary failure: the channel's own text.
func failureText(err error) string {
	s := strings.TrimSpace(err.Error())
	if s == "" {
		return "the channel failed without saying why"
	}
	return s
}

// deliver hands msg to the input's channel, bounded by SendTimeout.
func (a *Activities) deliver(ctx context.Context, in DeliveryInput, msg domain.Message) (channels.Sent, error) {
	ch, ok := a.channels().Lookup(channels.Type(in.ChannelType))
	if !ok {
		return channels.Sent{Queued: true}, nil
	}
	raw, err := a.Store.ChannelConfig(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return channels.Sent{}, classify(err)
	}
	cfg, err := channels.Decode(ch.NewConfig(), raw)
	if err != nil {
		return channels.Sent{}, classify(err)
	}
	customer, err := a.customerOf(ctx, in)
	if err != nil {
		return channels.Sent{}, classify(err)
	}
	r := channels.Reply{Config: cfg, AccountID: in.AccountID, ChannelID: in.ChannelID, ConversationID: in.ConversationID,
		TicketID: in.TicketID, MessageID: msg.ID, Customer: customer, AuthorUserID: in.AuthorUserID,
		Text: msg.Text, HTML: msg.HTML, Tag: msg.Tag, SentAt: msg.SentAt, Choices: replyChoices(msg)}
	if err := a.withFiles(ctx, ch, &r); err != nil {
		return channels.Sent{}, err
	}
	if in.Template != nil {
		r.Template = &channels.Template{Name: in.Template.Name, Language: in.Template.Language, Components: in.Template.Components}
		r.Text = ""
	}
	callCtx, cancel := context.WithTimeout(ctx, sendTimeout(r))
	defer cancel()
	sent, err := ch.Send(callCtx, r)
	a.Store.RecordHealth(ctx, in.ChannelID, health.SendComponent(in.ChannelType), err)
	return sent, err
}

// customerOf is whom the reply is for: the conversation's customer, or for a reply through
// another channel the ticket's contact (WhatsApp writes to their phone number).
func (a *Activities) customerOf(ctx context.Context, in DeliveryInput) (domain.Author, error) {
	if !in.Via {
		return a.Store.ConversationCustomer(ctx, in.AccountID, in.ConversationID)
	}
	c, err := a.Store.TicketCustomer(ctx, in.AccountID, in.ConversationID, in.ChannelID)
	if err != nil {
		return c, err
	}
	if c.ExternalUserID == "" && in.ChannelType == "whatsapp" {
		c.ExternalUserID = strings.TrimPrefix(c.Phone, "+") // a WhatsApp id is the number's digits
	}
	return c, nil
}

// GiveUpInput names a reply whose channel's retry period ran out.
type GiveUpInput struct {
	AccountID   string `json:"account_id"`
	MessageID   string `json:"message_id"`
	ChannelID   string `json:"channel_id"`
	ChannelType string `json:"channel_type"`
	// Reason is how the last attempt ended, when the reply holds no reason of its own.
	Reason string `json:"reason"`
}

// GiveUpReply marks a reply failed once its channel's retry period ran out, with the last
// attempt's error as its reason; one sent or refused meanwhile is returned as it is.
func (a *Activities) GiveUpReply(ctx context.Context, in GiveUpInput) (ReplySent, error) {
	msg, err := a.Store.Message(ctx, in.AccountID, in.MessageID)
	if err != nil {
		return ReplySent{}, classify(err)
	}
	out := ReplySent{MessageID: msg.ID, Status: msg.Status, Tag: msg.Tag, FailureReason: msg.FailureReason}
	if msg.Status != domain.MessageQueued && msg.Status != domain.MessageRetrying {
		return out, nil
	}
	last := msg.FailureReason
	if last == "" {
		last = in.Reason
	}
	reason := fmt.Sprintf("gave up after %d attempts: the channel kept failing temporarily for its whole retry period; last error: %s", msg.Attempts, last)
	if _, err := a.Store.FailOutbound(ctx, in.AccountID, msg.ID, reason); err != nil {
		return ReplySent{}, classify(err)
	}
	out.Status, out.FailureReason = domain.MessageFailed, reason
	return out, nil
}
