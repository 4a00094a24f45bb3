package graph

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// WhatsApp's limits on an interactive list message.
const (
	maxWhatsAppListRows     = 10
	maxWhatsAppRowTitle     = 24
	maxWhatsAppRowID        = 200
	maxWhatsAppListBodyLen  = 1024
	whatsAppListButtonTitle = "Choose"
)

// Choice is one row of an interactive list: its title and the id a tap sends back (list_reply.id).
type Choice struct {
	Title string
	ID    string
}

type whatsAppInteractive struct {
	Type   string              `json:"type"`
	Body   whatsAppText        `json:"body"`
	Action whatsAppListActions `json:"action"`
}

type whatsAppListActions struct {
	Button   string                `json:"button"`
	Sections []whatsAppListSection `json:"sections"`
}

type whatsAppListSection struct {
	Rows []whatsAppListRow `json:"rows"`
}

type whatsAppListRow struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// SendWhatsAppChoices sends text with an interactive list of choices (valid only inside the 24-hour
// window) and returns its wamid; a tap comes back as an interactive message whose list_reply.id is the choice's ID.
func (c *Client) SendWhatsAppChoices(ctx context.Context, token, phoneNumberID, to, text string, choices []Choice) (string, error) {
	if err := validateWhatsApp(token, phoneNumberID, to); err != nil {
		return "", err
	}
	if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > maxWhatsAppListBodyLen {
		return "", fmt.Errorf("%w: whatsapp: a list's text must be 1 to %d characters of UTF-8", ErrInvalidMessage, maxWhatsAppListBodyLen)
	}
	if len(choices) == 0 || len(choices) > maxWhatsAppListRows {
		return "", fmt.Errorf("%w: whatsapp: a list takes 1 to %d choices, not %d", ErrInvalidMessage, maxWhatsAppListRows, len(choices))
	}
	rows := make([]whatsAppListRow, 0, len(choices))
	for _, ch := range choices {
		if ch.ID == "" || len(ch.ID) > maxWhatsAppRowID || ch.Title == "" || utf8.RuneCountInString(ch.Title) > maxWhatsAppRowTitle {
			return "", fmt.Errorf("%w: whatsapp: a choice needs an id of 1 to %d bytes and a title of 1 to %d characters",
				ErrInvalidMessage, maxWhatsAppRowID, maxWhatsAppRowTitle)
		}
		rows = append(rows, whatsAppListRow{ID: ch.ID, Title: ch.Title})
	}
	return c.sendWhatsApp(ctx, "send whatsapp list", token, phoneNumberID, whatsAppRequest{
		MessagingProduct: "whatsapp", RecipientType: "individual", To: to, Type: "interactive",
		Interactive: &whatsAppInteractive{Type: "list", Body: whatsAppText{Body: text},
			Action: whatsAppListActions{Button: whatsAppListButtonTitle, Sections: []whatsAppListSection{{Rows: rows}}}},
	})
}
