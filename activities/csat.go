package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/csat"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// CSATScheduled says when a solved ticket's survey invitation is due; nil when none is.
type CSATScheduled struct {
	DueAt *time.Time `json:"due_at,omitempty"`
}

// ScheduleCSAT schedules the survey of a ticket just solved when its account sends surveys
// (one per ticket; a survey cancelled by a reopen is scheduled again).
func (a *Activities) ScheduleCSAT(ctx context.Context, in TicketRef) (CSATScheduled, error) {
	due, err := a.Store.ScheduleCSAT(ctx, in.AccountID, in.TicketID)
	return CSATScheduled{DueAt: due}, classify(err)
}

// CSATCancel names a survey to cancel before its invitation went out, and why.
type CSATCancel struct {
	AccountID string `json:"account_id"`
	TicketID  string `json:"ticket_id"`
	Reason    string `json:"reason"`
}

// CancelCSAT cancels the ticket's survey still waiting for its invitation.
func (a *Activities) CancelCSAT(ctx context.Context, in CSATCancel) error {
	return classify(a.Store.CancelCSAT(ctx, in.AccountID, in.TicketID, in.Reason))
}

// CSATInvitation is the stored invitation of a due survey, for the workflow to deliver (the reply's
// durable delivery); nil Delivery when there is nothing to deliver: the survey was cancelled, or failed
// (no channel reaches the customer).
type CSATInvitation struct {
	Delivery *DeliveryInput `json:"delivery,omitempty"`
	// RetryFor is the retry period of the channel the invitation goes out on.
	RetryFor time.Duration `json:"retry_for,omitempty"`
}

// NoChannelReason is why a survey fails when no channel reaches the ticket's customer.
const NoChannelReason = "no channel reaches the customer"

// InviteCSAT stores the invitation of the ticket's survey whose delay is over, when the survey is still
// due (store.DueCSAT): on the ticket's own channel (email: a mail with the rating link; chat: a prompt
// the widget shows with rating buttons; Messenger and WhatsApp: quick replies), or, for a form's or a
// call's ticket, by email to the contact. It returns the delivery to run; a repeat returns the same.
func (a *Activities) InviteCSAT(ctx context.Context, in TicketRef) (CSATInvitation, error) {
	t, err := a.Store.DueCSAT(ctx, in.AccountID, in.TicketID)
	if err != nil || !t.Due {
		return CSATInvitation{}, classify(err)
	}
	if a.CSAT == nil {
		return CSATInvitation{}, classify(a.Store.FailCSAT(ctx, in.AccountID, in.TicketID, "this server has no CSAT key (ROUTEDESK_SECRET_KEY)"))
	}
	tok := a.CSAT.Sign(in.AccountID, in.TicketID, time.Now().Add(csat.AnswerWindow+24*time.Hour))
	d := DeliveryInput{AccountID: in.AccountID, ChannelID: t.ChannelID, ChannelType: t.ChannelType,
		ConversationID: t.ConversationID, TicketID: in.TicketID}
	o := store.Outbound{AccountID: in.AccountID, ChannelID: t.ChannelID, ConversationID: t.ConversationID,
		ExternalID: "csat:" + in.TicketID, Properties: map[string]any{"csat": map[string]any{"token": tok}}}
	switch t.ChannelType {
	case "chat":
		o.Text = csat.PromptText() // the widget shows the rating buttons (chat.RatingPrompt)
	case "messenger", "whatsapp":
		o.Text = csat.PromptText()
		o.Properties["csat"].(map[string]any)["choices"] = csat.Choices(in.TicketID) // quick replies
	case "email", "custom":
		if o.Text, err = a.csatLinkText(ctx, in, tok); err != nil || o.Text == "" {
			return CSATInvitation{}, err
		}
	default: // a form's or a call's ticket, or one without a channel: email to the contact
		ch, ok, err := a.csatEmailChannel(ctx, in.AccountID, t)
		if err != nil || !ok {
			if err == nil {
				err = a.Store.FailCSAT(ctx, in.AccountID, in.TicketID, NoChannelReason)
			}
			return CSATInvitation{}, classify(err)
		}
		if t.ConversationID == "" {
			return CSATInvitation{}, classify(a.Store.FailCSAT(ctx, in.AccountID, in.TicketID, NoChannelReason+" (the ticket has no conversation to write in)"))
		}
		if o.Text, err = a.csatLinkText(ctx, in, tok); err != nil || o.Text == "" {
			return CSATInvitation{}, err
		}
		o.ChannelID, d.ChannelID, d.ChannelType, d.Via = ch.ID, ch.ID, ch.Type, true
	}
	msg, err := a.Store.AddOutbound(ctx, o)
	if err != nil {
		return CSATInvitation{}, classify(err)
	}
	if err := a.Store.CSATInvited(ctx, in.AccountID, in.TicketID, msg.ID); err != nil {
		return CSATInvitation{}, classify(err)
	}
	if msg.Status != domain.MessageQueued && msg.Status != domain.MessageRetrying {
		return CSATInvitation{}, nil // settled by an earlier delivery
	}
	d.MessageID = msg.ID
	out := CSATInvitation{Delivery: &d, RetryFor: channels.DefaultReplyRetry}
	if out.RetryFor, err = a.retryPeriod(ctx, ReplyInput{AccountID: in.AccountID, ChannelID: d.ChannelID, ChannelType: d.ChannelType}); err != nil {
		return CSATInvitation{}, err
	}
	return out, nil
}

// replyChoices are the answer buttons stored with an outbound message (a survey's quick replies).
func replyChoices(msg domain.Message) []channels.Choice {
	props, _ := msg.Properties["csat"].(map[string]any)
	list, _ := props["choices"].([]any)
	var out []channels.Choice
	for _, it := range list {
		m, _ := it.(map[string]any)
		title, _ := m["title"].(string)
		payload, _ := m["payload"].(string)
		if title != "" && payload != "" {
			out = append(out, channels.Choice{Title: title, Payload: payload})
		}
	}
	return out
}

// csatLinkText is the invitation's text with its rating link; "" (the survey failed) without a public URL.
func (a *Activities) csatLinkText(ctx context.Context, in TicketRef, tok string) (string, error) {
	link := a.CSAT.URL(tok)
	if link == "" {
		return "", classify(a.Store.FailCSAT(ctx, in.AccountID, in.TicketID,
			"the rating link needs the API's public URL: set ROUTEDESK_PUBLIC_URL"))
	}
	return csat.EmailText(link), nil
}

// csatEmailChannel is the email channel a form's or a call's survey goes out on: the channel's
// reply_channel_id when it is an email channel, else the account's first connected email channel able
// to send; ok is false when there is none or the contact has no email address.
func (a *Activities) csatEmailChannel(ctx context.Context, accountID string, t store.CSATTarget) (domain.Channel, bool, error) {
	if t.ContactEmail == "" {
		return domain.Channel{}, false, nil
	}
	cands, err := a.Store.ReplyChannels(ctx, accountID)
	if err != nil {
		return domain.Channel{}, false, fmt.Errorf("reply channels: %w", err)
	}
	replyTo := a.replyChannelOf(ctx, accountID, t.ChannelID, t.ChannelType)
	var first *domain.Channel
	for i, ch := range cands {
		if ch.Type != "email" || ch.Status != domain.ChannelConnected || !a.canSend(ctx, ch) {
			continue
		}
		if ch.ID == replyTo {
			return ch, true, nil
		}
		if first == nil {
			first = &cands[i]
		}
	}
	if first == nil {
		return domain.Channel{}, false, nil
	}
	return *first, true, nil
}

// replyChannelOf is the channel a form's or a call's replies go out on (its reply_channel_id), "" when none.
func (a *Activities) replyChannelOf(ctx context.Context, accountID, channelID, channelType string) string {
	typ, ok := a.channels().Lookup(channels.Type(channelType))
	if !ok || channelID == "" {
		return ""
	}
	raw, err := a.Store.ChannelConfig(ctx, accountID, channelID)
	if err != nil {
		return ""
	}
	cfg, err := channels.Decode(typ.NewConfig(), raw)
	if err != nil {
		return ""
	}
	if routed, ok := cfg.(channels.ReplyRouted); ok {
		return routed.ReplyChannelID()
	}
	return ""
}

// canSend reports whether a channel's configuration can send (an email channel with its SMTP relay).
func (a *Activities) canSend(ctx context.Context, ch domain.Channel) bool {
	typ, ok := a.channels().Lookup(channels.Type(ch.Type))
	if !ok {
		return false
	}
	raw, err := a.Store.ChannelConfig(ctx, ch.AccountID, ch.ID)
	if err != nil {
		return false
	}
	cfg, err := channels.Decode(typ.NewConfig(), raw)
	if err != nil {
		return false
	}
	if sc, ok := cfg.(channels.Sending); ok {
		return sc.CannotSend() == ""
	}
	return true
}
