package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/health"
	"github.com/routedesk/routedesk/store"
)

// ReplyInput is an agent's reply to send on the conversation's channel.
type ReplyInput struct {
	AccountID      string `json:"account_id"`
	ChannelID      string `json:"channel_id"`
	ChannelType    string `json:"channel_type"`
	ConversationID string `json:"conversation_id"`
	TicketID       string `json:"ticket_id"`
	// ReplyID is the workflow update's id; it makes storing and sending idempotent.
	ReplyID      string `json:"reply_id"`
	AuthorUserID string `json:"author_user_id,omitempty"`
	Text         string `json:"text"`
	HTML         string `json:"html,omitempty"`
	Tag          string `json:"tag,omitempty"`
	// Template is an approved WhatsApp template, the only thing WhatsApp takes outside its 24 h window.
	Template *Template `json:"template,omitempty"`
	// SendChannelID and SendChannelType, when set, are the channel the reply goes out on instead
	// of the conversation's (a form's or a call's replies go out by email or WhatsApp).
	SendChannelID   string `json:"send_channel_id,omitempty"`
	SendChannelType string `json:"send_channel_type,omitempty"`
	// Attachments are the ids of the files uploaded with the reply (never their names or bytes):
	// storing the reply makes them its attachments.
	Attachments []string `json:"attachments,omitempty"`
}

// sendChannel is the channel the reply goes out on, and whether it is another than the conversation's.
func (in ReplyInput) sendChannel() (id, typ string, via bool) {
	if in.SendChannelID != "" && in.SendChannelID != in.ChannelID {
		return in.SendChannelID, in.SendChannelType, true
	}
	return in.ChannelID, in.ChannelType, false
}

// Delivery is what the delivery of the stored reply stored needs; giveUpAt ends its retries.
func (in ReplyInput) Delivery(stored ReplySent, giveUpAt time.Time, first, max time.Duration) DeliveryInput {
	id, typ, via := in.sendChannel()
	return DeliveryInput{AccountID: in.AccountID, MessageID: stored.MessageID, ChannelID: id, ChannelType: typ, Via: via,
		ConversationID: in.ConversationID, TicketID: in.TicketID, AuthorUserID: in.AuthorUserID, Template: in.Template,
		GiveUpAt: giveUpAt, FirstInterval: first, MaxInterval: max}
}

// Template is an approved WhatsApp message template and its parameters.
type Template struct {
	Name       string            `json:"name"`
	Language   string            `json:"language"`
	Components []json.RawMessage `json:"components,omitempty"`
}

// ReplySent is what became of a reply.
type ReplySent struct {
	MessageID string `json:"message_id"`
	Status    string `json:"status"`
	Tag       string `json:"tag"`
	// FailureReason says why a reply failed or was suppressed.
	FailureReason string `json:"failure_reason,omitempty"`
	// OutsideWindow is set on a reply the provider refused as outside the conversation's messaging window.
	OutsideWindow bool `json:"outside_window,omitempty"`
	// RetryFor is the retry period of the channel the reply goes out on (StoreReply).
	RetryFor time.Duration `json:"retry_for,omitempty"`
}

// TagSuppressed on a ReplyInput records the reply as suppressed instead of sending it.
const TagSuppressed = "SUPPRESSED"

// ErrTypeSendRejected means the channel refused the reply for good.
const ErrTypeSendRejected = "SendRejected"

// StoreReply stores the reply as queued (or suppressed, for an automated
// reply the window did not let out) and returns it; a repeat returns the
// same message. SendReply sends it.
func (a *Activities) StoreReply(ctx context.Context, in ReplyInput) (ReplySent, error) {
	msg, err := a.addReply(ctx, in)
	if err != nil {
		return ReplySent{}, err
	}
	out := ReplySent{MessageID: msg.ID, Status: msg.Status, Tag: msg.Tag, FailureReason: msg.FailureReason}
	if in.Tag == TagSuppressed && msg.Status == domain.MessageQueued {
		out.Status, out.FailureReason = domain.MessageSuppressed, SuppressedReason
		return out, classify(a.Store.SuppressOutbound(ctx, in.AccountID, msg.ID, SuppressedReason))
	}
	if out.RetryFor, err = a.retryPeriod(ctx, in); err != nil {
		return out, err
	}
	return out, nil
}

// SuppressedReason is why an automated reply in Messenger's human-agent window was not sent.
const SuppressedReason = "not sent: in Messenger's human-agent window (24 hours to 7 days after the customer's last message) " +
	"Meta accepts only a person's reply, and this one had no agent behind it (an admin token); reply with an agent's token"

// retryPeriod is how long the reply's channel retries it (reply_retry_seconds, else 24 h).
func (a *Activities) retryPeriod(ctx context.Context, in ReplyInput) (time.Duration, error) {
	id, typ, _ := in.sendChannel()
	ch, ok := a.channels().Lookup(channels.Type(typ))
	if !ok {
		return channels.DefaultReplyRetry, nil
	}
	raw, err := a.Store.ChannelConfig(ctx, in.AccountID, id)
	if err != nil {
		return 0, classify(err)
	}
	cfg, err := channels.Decode(ch.NewConfig(), raw)
	if err != nil {
		return 0, classify(err)
	}
	return channels.ReplyRetry(cfg), nil
}

// addReply stores the reply idempotently (the update id is its external id).
func (a *Activities) addReply(ctx context.Context, in ReplyInput) (domain.Message, error) {
	tag := in.Tag
	if tag == TagSuppressed {
		tag = ""
	}
	channelID, _, _ := in.sendChannel()
	o := store.Outbound{
		AccountID: in.AccountID, ChannelID: channelID, ConversationID: in.ConversationID,
		ExternalID: "reply:" + in.ReplyID, Author: domain.Author{UserID: in.AuthorUserID},
		Text: replyText(in), HTML: in.HTML, Tag: tag,
	}
	if in.Template != nil {
		o.Properties = map[string]any{"template": in.Template} // a failed template reply is sent again as one
	}
	msg, err := a.Store.AddOutbound(ctx, o)
	if err != nil {
		return msg, classify(err)
	}
	return a.claimFiles(ctx, in, msg)
}

// SendReply stores the reply (a no-op when StoreReply did), then hands it to
// the channel: chat replies are read by the chat widget through the API,
// custom channels receive a signed webhook, Messenger and WhatsApp replies go
// through the Graph API; channels whose sender is not built yet keep the reply
// queued. Each outbound call is bounded by SendTimeout and the activity
// heartbeats while it runs. A refusal marks the reply failed with the reason
// and is not retried; a transient failure is returned for the retry policy.
func (a *Activities) SendReply(ctx context.Context, in ReplyInput) (ReplySent, error) {
	return withHeartbeat(ctx, func(ctx context.Context) (ReplySent, error) { return a.sendReply(ctx, in) })
}

func (a *Activities) sendReply(ctx context.Context, in ReplyInput) (ReplySent, error) {
	msg, err := a.addReply(ctx, in)
	if err != nil {
		return ReplySent{}, err
	}
	out := ReplySent{MessageID: msg.ID, Status: msg.Status, Tag: msg.Tag}
	if in.Tag == TagSuppressed {
		out.Status = domain.MessageSuppressed
		return out, classify(a.Store.SetMessageStatus(ctx, in.AccountID, msg.ID, out.Status))
	}
	if msg.Status != domain.MessageQueued {
		return out, nil // sent (or refused) by an earlier attempt
	}
	sent, err := a.send(ctx, in, msg)
	if err != nil {
		return ReplySent{}, err
	}
	if sent.Queued {
		return out, nil // the channel has no sender yet: the reply stays queued
	}
	out.Status = domain.MessageSent
	return out, classify(a.Store.MarkSent(ctx, in.AccountID, msg.ID, sent.ProviderID))
}

// FailReplyInput names a reply whose sending gave up, and why.
type FailReplyInput struct {
	AccountID string `json:"account_id"`
	MessageID string `json:"message_id"`
	Reason    string `json:"reason"`
}

// FailReply marks a reply failed with the reason once its bounded retries
// ran out; a reply that was sent meanwhile stays sent.
func (a *Activities) FailReply(ctx context.Context, in FailReplyInput) error {
	_, err := a.Store.FailOutbound(ctx, in.AccountID, in.MessageID, in.Reason)
	return classify(err)
}

// refuse marks the message failed with the reason and returns the
// non-retryable error of type errType the workflow and the API act on.
func (a *Activities) refuse(ctx context.Context, accountID, messageID, errType, reason string) error {
	if _, err := a.Store.FailOutbound(ctx, accountID, messageID, reason); err != nil {
		return err // retried: the refusal is recorded on the next attempt
	}
	return temporal.NewNonRetryableApplicationError(reason, errType, nil)
}

// ErrTypeOutsideWindow means the provider refused a reply outside the conversation's messaging window.
const ErrTypeOutsideWindow = "OutsideWindow"

// send hands the stored reply msg to its channel's sender, bounded by
// SendTimeout. A refusal (channels.SendError) marks the reply failed with the
// reason and is not retried; any other error, or an attempt cut off, is
// transient and returned for the retry policy.
func (a *Activities) send(ctx context.Context, in ReplyInput, msg domain.Message) (channels.Sent, error) {
	ch, ok := a.channels().Lookup(channels.Type(in.ChannelType))
	if !ok {
		return channels.Sent{Queued: true}, nil // a channel type this worker does not know: nothing to send with
	}
	raw, err := a.Store.ChannelConfig(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return channels.Sent{}, classify(err)
	}
	cfg, err := channels.Decode(ch.NewConfig(), raw)
	if err != nil {
		return channels.Sent{}, classify(err)
	}
	customer, err := a.Store.ConversationCustomer(ctx, in.AccountID, in.ConversationID)
	if err != nil {
		return channels.Sent{}, classify(err)
	}
	r := channels.Reply{Config: cfg, AccountID: in.AccountID, ChannelID: in.ChannelID, ConversationID: in.ConversationID,
		TicketID: in.TicketID, MessageID: msg.ID, Customer: customer, AuthorUserID: in.AuthorUserID,
		Text: in.Text, HTML: in.HTML, Tag: in.Tag, SentAt: msg.SentAt}
	if err := a.withFiles(ctx, ch, &r); err != nil {
		if refusal := channels.AsSendError(err); refusal != nil {
			return channels.Sent{}, a.refuse(ctx, in.AccountID, msg.ID, ErrTypeSendRejected, refusal.Msg)
		}
		return channels.Sent{}, err
	}
	if in.Template != nil {
		r.Template = &channels.Template{Name: in.Template.Name, Language: in.Template.Language, Components: in.Template.Components}
	}
	callCtx, cancel := context.WithTimeout(ctx, sendTimeout(r))
	defer cancel()
	sent, err := ch.Send(callCtx, r)
	a.Store.RecordHealth(ctx, in.ChannelID, health.SendComponent(in.ChannelType), err)
	if err == nil {
		return sent, nil
	}
	refusal := channels.AsSendError(err)
	if refusal == nil || ctx.Err() != nil {
		return channels.Sent{}, fmt.Errorf("send reply on %s: %w", in.ChannelType, err) // retried with backoff
	}
	errType := ErrTypeSendRejected
	if refusal.Refusal == channels.OutsideWindow {
		errType = ErrTypeOutsideWindow
	}
	return channels.Sent{}, a.refuse(ctx, in.AccountID, msg.ID, errType, refusal.Msg)
}

// replyText is what the ticket's history shows of a reply.
func replyText(in ReplyInput) string {
	if in.Template != nil && in.Text == "" {
		return "[WhatsApp template " + in.Template.Name + " (" + in.Template.Language + ")]"
	}
	return in.Text
}
