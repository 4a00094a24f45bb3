package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"unicode/utf8"
)

// MaxWhatsAppTextLen is the Cloud API limit on a text message body, in characters.
const MaxWhatsAppTextLen = 4096

// Template is an approved WhatsApp message template to send.
type Template struct {
	// Name is the template name as approved in WhatsApp Manager.
	Name string
	// Language is the template language code, e.g. "en_US".
	Language string
	// Components are the template's header/body/button parameter objects, passed through verbatim.
	Components []json.RawMessage
}

type whatsAppRequest struct {
	MessagingProduct string            `json:"messaging_product"`
	RecipientType    string            `json:"recipient_type"`
	To               string            `json:"to"`
	Type             string            `json:"type"`
	Text             *whatsAppText     `json:"text,omitempty"`
	Template         *whatsAppTemplate `json:"template,omitempty"`
	// Interactive is a list message's body and rows (SendWhatsAppChoices).
	Interactive *whatsAppInteractive `json:"interactive,omitempty"`
}

type whatsAppText struct {
	Body string `json:"body"`
}

type whatsAppTemplate struct {
	Name       string            `json:"name"`
	Language   whatsAppLanguage  `json:"language"`
	Components []json.RawMessage `json:"components,omitempty"`
}

type whatsAppLanguage struct {
	Code string `json:"code"`
}

type whatsAppResponse struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

// SendWhatsAppText sends a free-form text (valid only inside the 24-hour window) and returns its wamid.
func (c *Client) SendWhatsAppText(ctx context.Context, token, phoneNumberID, to, text string) (string, error) {
	if err := validateWhatsApp(token, phoneNumberID, to); err != nil {
		return "", err
	}
	if text == "" {
		return "", fmt.Errorf("%w: whatsapp: empty text", ErrInvalidMessage)
	}
	if !utf8.ValidString(text) {
		return "", fmt.Errorf("%w: whatsapp: text is not valid UTF-8", ErrInvalidMessage)
	}
	if n := utf8.RuneCountInString(text); n > MaxWhatsAppTextLen {
		return "", fmt.Errorf("%w: whatsapp: text is %d characters, limit %d", ErrInvalidMessage, n, MaxWhatsAppTextLen)
	}
	return c.sendWhatsApp(ctx, "send whatsapp text", token, phoneNumberID, whatsAppRequest{
		MessagingProduct: "whatsapp",
		RecipientType:    "individual",
		To:               to,
		Type:             "text",
		Text:             &whatsAppText{Body: text},
	})
}

// SendWhatsAppTemplate sends an approved template (allowed outside the 24-hour window) and returns its wamid.
func (c *Client) SendWhatsAppTemplate(ctx context.Context, token, phoneNumberID, to string, t Template) (string, error) {
	if err := validateWhatsApp(token, phoneNumberID, to); err != nil {
		return "", err
	}
	if t.Name == "" {
		return "", fmt.Errorf("%w: whatsapp: empty template name", ErrInvalidMessage)
	}
	if t.Language == "" {
		return "", fmt.Errorf("%w: whatsapp: empty template language", ErrInvalidMessage)
	}
	for i, comp := range t.Components {
		if !json.Valid(comp) {
			return "", fmt.Errorf("%w: whatsapp: template component %d is not valid JSON", ErrInvalidMessage, i)
		}
	}
	return c.sendWhatsApp(ctx, "send whatsapp template", token, phoneNumberID, whatsAppRequest{
		MessagingProduct: "whatsapp",
		RecipientType:    "individual",
		To:               to,
		Type:             "template",
		Template: &whatsAppTemplate{
			Name:       t.Name,
			Language:   whatsAppLanguage{Code: t.Language},
			Components: t.Components,
		},
	})
}

func validateWhatsApp(token, phoneNumberID, to string) error {
	switch {
	case token == "":
		return fmt.Errorf("%w: whatsapp: empty access token", ErrInvalidMessage)
	case phoneNumberID == "":
		return fmt.Errorf("%w: whatsapp: empty phone number ID", ErrInvalidMessage)
	case to == "":
		return fmt.Errorf("%w: whatsapp: empty recipient", ErrInvalidMessage)
	}
	return nil
}

func (c *Client) sendWhatsApp(ctx context.Context, op, token, phoneNumberID string, body whatsAppRequest) (string, error) {
	var out whatsAppResponse
	if err := c.post(ctx, op, url.PathEscape(phoneNumberID)+"/messages", token, body, &out); err != nil {
		return "", err
	}
	if len(out.Messages) == 0 || out.Messages[0].ID == "" {
		return "", fmt.Errorf("graph: %s: response has no messages[0].id", op)
	}
	return out.Messages[0].ID, nil
}
