package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// MaxTemplatePages bounds how many pages of templates ListWhatsAppTemplates reads (100 a page).
const MaxTemplatePages = 20

// WhatsAppTemplate is a message template of a WhatsApp Business Account as the Graph API lists it.
type WhatsAppTemplate struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Language string `json:"language"`
	Status   string `json:"status"`
	Category string `json:"category"`
	// ParameterFormat is POSITIONAL ({{1}}) or NAMED ({{first_name}}); empty means positional.
	ParameterFormat string              `json:"parameter_format,omitempty"`
	Components      []TemplateComponent `json:"components"`
}

// TemplateComponent is a template's header, body, footer or buttons.
type TemplateComponent struct {
	Type    string           `json:"type"`
	Format  string           `json:"format,omitempty"`
	Text    string           `json:"text,omitempty"`
	Buttons []TemplateButton `json:"buttons,omitempty"`
}

// TemplateButton is one button of a BUTTONS component; a URL button's url may end in a {{1}} variable.
type TemplateButton struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
	URL  string `json:"url,omitempty"`
}

type templatePage struct {
	Data   []WhatsAppTemplate `json:"data"`
	Paging struct {
		Cursors struct {
			After string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

// ListWhatsAppTemplates returns the approved templates of the business account wabaID,
// following Graph's paging for at most MaxTemplatePages pages.
func (c *Client) ListWhatsAppTemplates(ctx context.Context, token, wabaID string) ([]WhatsAppTemplate, error) {
	if token == "" {
		return nil, fmt.Errorf("%w: whatsapp: empty access token", ErrInvalidMessage)
	}
	if wabaID == "" {
		return nil, fmt.Errorf("%w: whatsapp: empty business account ID", ErrInvalidMessage)
	}
	var out []WhatsAppTemplate
	after := ""
	for range MaxTemplatePages {
		q := url.Values{"fields": {"id,name,language,status,category,parameter_format,components"},
			"status": {"APPROVED"}, "limit": {strconv.Itoa(100)}}
		if after != "" {
			q.Set("after", after)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(url.PathEscape(wabaID)+"/message_templates")+"?"+q.Encode(), nil)
		if err != nil {
			return nil, fmt.Errorf("graph: list whatsapp templates: build request: %w", err)
		}
		var page templatePage
		if err := c.do(req, "list whatsapp templates", token, &page); err != nil {
			return nil, err
		}
		for _, t := range page.Data {
			if t.Status == "" || t.Status == "APPROVED" {
				out = append(out, t)
			}
		}
		if page.Paging.Next == "" || page.Paging.Cursors.After == "" {
			return out, nil
		}
		after = page.Paging.Cursors.After
	}
	return out, nil
}
