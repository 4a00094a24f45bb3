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

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/chat"
	"github.com/routedesk/routedesk/channels/custom"
	"github.com/routedesk/routedesk/channels/messenger"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/channels/whatsapp"
	"github.com/routedesk/routedesk/domain"
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

// SendReply stores the reply, then hands it to the channel: chat replies are
// read by the chat widget through the API, custom channels receive a signed
// webhook; channels whose sender is not built yet keep the reply queued.
func (a *Activities) SendReply(ctx context.Context, in ReplyInput) (ReplySent, error) {
	tag := in.Tag
	if tag == TagSuppressed {
		tag = ""
	}
	msg, err := a.Store.AddOutbound(ctx, store.Outbound{
		AccountID: in.AccountID, ChannelID: in.ChannelID, ConversationID: in.ConversationID,
		ExternalID: "reply:" + in.ReplyID, Author: domain.Author{UserID: in.AuthorUserID},
		Text: replyText(in), HTML: in.HTML, Tag: tag,
	})
	if err != nil {
		return ReplySent{}, classify(err)
	}
	out := ReplySent{MessageID: msg.ID, Status: msg.Status, Tag: tag}
	if in.Tag == TagSuppressed {
		out.Status = domain.MessageSuppressed
		return out, classify(a.Store.SetMessageStatus(ctx, in.AccountID, msg.ID, out.Status))
	}
	if msg.Status != domain.MessageQueued {
		return out, nil // sent by an earlier attempt
	}
	switch in.ChannelType {
	case string(chat.Type):
		out.Status = domain.MessageSent
	case string(custom.Type):
		if err := a.postCustom(ctx, in, msg); err != nil {
			return ReplySent{}, err
		}
		out.Status = domain.MessageSent
	case string(messenger.Type), string(whatsapp.Type):
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
	cfg, err := channels.Decode(&custom.Config{}, raw)
	if err != nil {
		return classify(err)
	}
	custom := cfg.(*custom.Config)
	if custom.OutboundURL == "" {
		return nil // the app polls the API for replies
	}
	body, _ := json.Marshal(customPayload{MessageID: msg.ID, ConversationID: in.ConversationID, TicketID: in.TicketID,
		AuthorUserID: in.AuthorUserID, Text: in.Text, HTML: in.HTML, SentAt: msg.SentAt})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, custom.OutboundURL, bytes.NewReader(body))
	if err != nil {
		return temporal.NewNonRetryableApplicationError("bad outbound_url", ErrTypeSendRejected, err)
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
		_ = a.Store.SetMessageStatus(ctx, in.AccountID, msg.ID, domain.MessageFailed)
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s refused the reply: %s", custom.AppName, resp.Status), ErrTypeSendRejected, nil)
	}
}

func (a *Activities) httpClient() *http.Client {
	if a.HTTP != nil {
		return a.HTTP
	}
	return &http.Client{Timeout: 20 * time.Second}
}

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
	cfg, err := a.channels().Decode(channels.Type(in.ChannelType), raw)
	if err != nil {
		return "", classify(err)
	}
	customer, err := a.Store.ConversationCustomer(ctx, in.AccountID, in.ConversationID)
	if err != nil {
		return "", classify(err)
	}
	var providerID string
	switch c := cfg.(type) {
	case *messenger.Config:
		m := graph.MessengerMessage{PSID: customer.ExternalUserID, Text: in.Text, MessagingType: graph.MessagingTypeResponse}
		if in.Tag == graph.TagHumanAgent {
			m.MessagingType, m.Tag = graph.MessagingTypeMessageTag, graph.TagHumanAgent
		}
		providerID, err = a.Graph.SendMessenger(ctx, c.PageAccessToken, m)
	case *whatsapp.Config:
		if in.Template != nil {
			providerID, err = a.Graph.SendWhatsAppTemplate(ctx, c.AccessToken, c.PhoneNumberID, customer.ExternalUserID,
				graph.Template{Name: in.Template.Name, Language: in.Template.Language, Components: in.Template.Components})
		} else {
			providerID, err = a.Graph.SendWhatsAppText(ctx, c.AccessToken, c.PhoneNumberID, customer.ExternalUserID, in.Text)
		}
	}
	if err == nil || graph.IsRetryable(err) {
		return providerID, err
	}
	_ = a.Store.SetMessageStatus(ctx, in.AccountID, msg.ID, domain.MessageFailed)
	var gerr *graph.Error
	if errors.As(err, &gerr) && gerr.OutsideWindow() {
		return "", temporal.NewNonRetryableApplicationError("Meta refused the reply: the conversation is outside its messaging window ("+gerr.Message+")", ErrTypeOutsideWindow, nil)
	}
	return "", temporal.NewNonRetryableApplicationError("Meta refused the reply: "+err.Error(), ErrTypeSendRejected, nil)
}

// replyText is what the ticket's history shows of a reply.
func replyText(in ReplyInput) string {
	if in.Template != nil && in.Text == "" {
		return "[WhatsApp template " + in.Template.Name + " (" + in.Template.Language + ")]"
	}
	return in.Text
}
