package activities

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/channelconfig"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/graph"
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
	out := ReplySent{MessageID: msg.ID, Status: msg.Status, Tag: msg.Tag}
	if in.Tag == TagSuppressed && msg.Status == domain.MessageQueued {
		out.Status = domain.MessageSuppressed
		return out, classify(a.Store.SetMessageStatus(ctx, in.AccountID, msg.ID, out.Status))
	}
	return out, nil
}

// addReply stores the reply idempotently (the update id is its external id).
func (a *Activities) addReply(ctx context.Context, in ReplyInput) (domain.Message, error) {
	tag := in.Tag
	if tag == TagSuppressed {
		tag = ""
	}
	msg, err := a.Store.AddOutbound(ctx, store.Outbound{
		AccountID: in.AccountID, ChannelID: in.ChannelID, ConversationID: in.ConversationID,
		ExternalID: "reply:" + in.ReplyID, Author: domain.Author{UserID: in.AuthorUserID},
		Text: replyText(in), HTML: in.HTML, Tag: tag,
	})
	return msg, classify(err)
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
	switch in.ChannelType {
	case string(channelconfig.TypeChat):
		out.Status = domain.MessageSent
	case string(channelconfig.TypeCustom):
		if err := a.postCustom(ctx, in, msg); err != nil {
			return ReplySent{}, err
		}
		out.Status = domain.MessageSent
	case string(channelconfig.TypeMessenger), string(channelconfig.TypeWhatsApp):
		providerID, err := a.sendMeta(ctx, in, msg)
		if err != nil {
			return ReplySent{}, err
		}
		out.Status = domain.MessageSent
		return out, classify(a.Store.MarkSent(ctx, in.AccountID, msg.ID, providerID))
	default:
		return out, nil
	}
	return out, classify(a.Store.SetMessageStatus(ctx, in.AccountID, msg.ID, out.Status))
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

// customPayload is what a custom channel's outbound_url receives.
type customPayload struct {
	MessageID      string    `json:"message_id"`
	ConversationID string    `json:"conversation_id"`
	TicketID       string    `json:"ticket_id"`
	AuthorUserID   string    `json:"author_user_id,omitempty"`
	Text           string    `json:"text"`
	HTML           string    `json:"html,omitempty"`
	SentAt         time.Time `json:"sent_at"`
}

// postCustom POSTs the reply to the custom channel's outbound_url, signed with
// X-Routedesk-Signature: sha256=<HMAC-SHA256 of the body with the channel secret>.
func (a *Activities) postCustom(ctx context.Context, in ReplyInput, msg domain.Message) error {
	raw, err := a.Store.ChannelConfig(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return classify(err)
	}
	cfg, err := channelconfig.Decode(channelconfig.TypeCustom, raw)
	if err != nil {
		return classify(err)
	}
	custom := cfg.(*channelconfig.Custom)
	if custom.OutboundURL == "" {
		return nil // the app polls the API for replies
	}
	body, _ := json.Marshal(customPayload{MessageID: msg.ID, ConversationID: in.ConversationID, TicketID: in.TicketID,
		AuthorUserID: in.AuthorUserID, Text: in.Text, HTML: in.HTML, SentAt: msg.SentAt})
	callCtx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, custom.OutboundURL, bytes.NewReader(body))
	if err != nil {
		return a.refuse(ctx, in.AccountID, msg.ID, ErrTypeSendRejected, "bad outbound_url: "+err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", msg.ID)
	if custom.Secret != "" {
		mac := hmac.New(sha256.New, []byte(custom.Secret))
		mac.Write(body)
		req.Header.Set("X-Routedesk-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := a.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("post reply to %s: %w", custom.AppName, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("post reply to %s: %s", custom.AppName, resp.Status) // retried with backoff
	default:
		return a.refuse(ctx, in.AccountID, msg.ID, ErrTypeSendRejected, fmt.Sprintf("%s refused the reply: %s", custom.AppName, resp.Status))
	}
}

func (a *Activities) httpClient() *http.Client {
	if a.HTTP != nil {
		return a.HTTP
	}
	return defaultHTTP
}

// defaultHTTP posts to custom channels when Activities.HTTP is nil.
var defaultHTTP = &http.Client{Timeout: SendTimeout}

// ErrTypeOutsideWindow means Meta refused a reply outside the conversation's messaging window.
const ErrTypeOutsideWindow = "OutsideWindow"

// sendMeta sends a reply through the Graph API: Messenger inside 24 h as
// RESPONSE, later as MESSAGE_TAG HUMAN_AGENT; WhatsApp as free-form text.
// Meta's outside-window refusal and other permanent errors mark the reply
// failed and are not retried; rate limits and 5xx are retried with backoff.
func (a *Activities) sendMeta(ctx context.Context, in ReplyInput, msg domain.Message) (string, error) {
	if a.Graph == nil {
		return "", temporal.NewNonRetryableApplicationError("no Graph API client configured", ErrTypeSendRejected, nil)
	}
	raw, err := a.Store.ChannelConfig(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return "", classify(err)
	}
	typ, _ := channelconfig.ParseType(in.ChannelType)
	cfg, err := channelconfig.Decode(typ, raw)
	if err != nil {
		return "", classify(err)
	}
	customer, err := a.Store.ConversationCustomer(ctx, in.AccountID, in.ConversationID)
	if err != nil {
		return "", classify(err)
	}
	var providerID string
	callCtx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	switch c := cfg.(type) {
	case *channelconfig.Messenger:
		m := graph.MessengerMessage{PSID: customer.ExternalUserID, Text: in.Text, MessagingType: graph.MessagingTypeResponse}
		if in.Tag == graph.TagHumanAgent {
			m.MessagingType, m.Tag = graph.MessagingTypeMessageTag, graph.TagHumanAgent
		}
		providerID, err = a.Graph.SendMessenger(callCtx, c.PageAccessToken, m)
	case *channelconfig.WhatsApp:
		if in.Template != nil {
			providerID, err = a.Graph.SendWhatsAppTemplate(callCtx, c.AccessToken, c.PhoneNumberID, customer.ExternalUserID,
				graph.Template{Name: in.Template.Name, Language: in.Template.Language, Components: in.Template.Components})
		} else {
			providerID, err = a.Graph.SendWhatsAppText(callCtx, c.AccessToken, c.PhoneNumberID, customer.ExternalUserID, in.Text)
		}
	}
	if err == nil || graph.IsRetryable(err) {
		return providerID, err
	}
	if ctx.Err() != nil {
		return "", fmt.Errorf("send reply: %w", ctx.Err()) // the attempt was cut off, not refused
	}
	var gerr *graph.Error
	if errors.As(err, &gerr) && gerr.OutsideWindow() {
		return "", a.refuse(ctx, in.AccountID, msg.ID, ErrTypeOutsideWindow, "Meta refused the reply: the conversation is outside its messaging window ("+gerr.Message+")")
	}
	return "", a.refuse(ctx, in.AccountID, msg.ID, ErrTypeSendRejected, "Meta refused the reply: "+err.Error())
}

// replyText is what the ticket's history shows of a reply.
func replyText(in ReplyInput) string {
	if in.Template != nil && in.Text == "" {
		return "[WhatsApp template " + in.Template.Name + " (" + in.Template.Language + ")]"
	}
	return in.Text
}
