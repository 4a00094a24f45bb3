package graph

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// Messenger messaging types accepted by the Send API.
const (
	MessagingTypeResponse   = "RESPONSE"    // Reply inside the standard 24-hour window.
	MessagingTypeMessageTag = "MESSAGE_TAG" // Tagged message outside the window; requires Tag.
	MessagingTypeUpdate     = "UPDATE"      // Proactive update inside the window.
)

// TagHumanAgent is the message tag that lets a human agent reply up to 7 days after the user's last message.
const TagHumanAgent = "HUMAN_AGENT"

// MaxMessengerTextLen is the Send API limit on text length, in characters.
const MaxMessengerTextLen = 2000

// MessengerMessage is a text reply to a Messenger user.
type MessengerMessage struct {
	// PSID is the page-scoped ID of the recipient.
	PSID string
	// Text is the message body, at most MaxMessengerTextLen characters.
	Text string
	// MessagingType is one of the MessagingType constants; empty means MessagingTypeResponse.
	MessagingType string
	// Tag is the message tag (e.g. TagHumanAgent), required iff MessagingType is MessagingTypeMessageTag.
	Tag string
	// QuickReplies are buttons shown under the text; a tap comes back as a message with their payload.
	QuickReplies []QuickReply
}

// QuickReply is a quick-reply button: its title and the payload it sends back.
type QuickReply struct {
	Title   string `json:"title"`
	Payload string `json:"payload"`
}

// Validate checks m against the Send API rules without sending anything.
func (m MessengerMessage) Validate() error {
	if m.PSID == "" {
		return fmt.Errorf("%w: messenger: empty PSID", ErrInvalidMessage)
	}
	if m.Text == "" {
		return fmt.Errorf("%w: messenger: empty text", ErrInvalidMessage)
	}
	if !utf8.ValidString(m.Text) {
		return fmt.Errorf("%w: messenger: text is not valid UTF-8", ErrInvalidMessage)
	}
	if n := utf8.RuneCountInString(m.Text); n > MaxMessengerTextLen {
		return fmt.Errorf("%w: messenger: text is %d characters, limit %d", ErrInvalidMessage, n, MaxMessengerTextLen)
	}
	switch m.messagingType() {
	case MessagingTypeMessageTag:
		if m.Tag == "" {
			return fmt.Errorf("%w: messenger: messaging_type MESSAGE_TAG requires a tag", ErrInvalidMessage)
		}
	case MessagingTypeResponse, MessagingTypeUpdate:
		if m.Tag != "" {
			return fmt.Errorf("%w: messenger: tag %q is only allowed with messaging_type MESSAGE_TAG", ErrInvalidMessage, m.Tag)
		}
	default:
		return fmt.Errorf("%w: messenger: unknown messaging_type %q", ErrInvalidMessage, m.MessagingType)
	}
	return nil
}

func (m MessengerMessage) messagingType() string {
	if m.MessagingType == "" {
		return MessagingTypeResponse
	}
	return m.MessagingType
}

type messengerRequest struct {
	Recipient     messengerRecipient `json:"recipient"`
	MessagingType string             `json:"messaging_type"`
	Tag           string             `json:"tag,omitempty"`
	Message       messengerText      `json:"message"`
}

type messengerRecipient struct {
	ID string `json:"id"`
}

type messengerText struct {
	Text         string           `json:"text"`
	QuickReplies []quickReplyBody `json:"quick_replies,omitempty"`
}

type messengerResponse struct {
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}

// SendMessenger sends m as the Page owning pageAccessToken and returns Graph's message_id.
func (c *Client) SendMessenger(ctx context.Context, pageAccessToken string, m MessengerMessage) (string, error) {
	if pageAccessToken == "" {
		return "", fmt.Errorf("%w: messenger: empty page access token", ErrInvalidMessage)
	}
	if err := m.Validate(); err != nil {
		return "", err
	}
	body := messengerRequest{
		Recipient:     messengerRecipient{ID: m.PSID},
		MessagingType: m.messagingType(),
		Tag:           m.Tag,
		Message:       messengerText{Text: m.Text, QuickReplies: quickReplies(m.QuickReplies)},
	}
	var out messengerResponse
	if err := c.post(ctx, "send messenger message", "me/messages", pageAccessToken, body, &out); err != nil {
		return "", err
	}
	if out.MessageID == "" {
		return "", fmt.Errorf("graph: send messenger message: response has no message_id")
	}
	return out.MessageID, nil
}

type quickReplyBody struct {
	ContentType string `json:"content_type"`
	Title       string `json:"title"`
	Payload     string `json:"payload"`
}

func quickReplies(qs []QuickReply) []quickReplyBody {
	out := make([]quickReplyBody, 0, len(qs))
	for _, q := range qs {
		out = append(out, quickReplyBody{ContentType: "text", Title: q.Title, Payload: q.Payload})
	}
	return out
}

type greetingRequest struct {
	Greeting []greetingText `json:"greeting"`
}

type greetingText struct {
	Locale string `json:"locale"`
	Text   string `json:"text"`
}

// SetGreeting sets the Page's Messenger greeting, the text a visitor sees before writing.
func (c *Client) SetGreeting(ctx context.Context, pageAccessToken, text string) error {
	if pageAccessToken == "" {
		return fmt.Errorf("%w: messenger: empty page access token", ErrInvalidMessage)
	}
	var out struct {
		Result string `json:"result"`
	}
	return c.post(ctx, "set messenger greeting", "me/messenger_profile", pageAccessToken,
		greetingRequest{Greeting: []greetingText{{Locale: "default", Text: text}}}, &out)
}
