package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// CheckToken asks Graph for the object id (a page, a WhatsApp phone number) with
// token, as GET /{id}?fields=id: nil means Meta accepts the token for it; a
// refused token is an *Error whose HealthProblem says so.
func (c *Client) CheckToken(ctx context.Context, token, id string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(url.PathEscape(id))+"?fields=id", nil)
	if err != nil {
		return fmt.Errorf("graph: check token: build request: %w", err)
	}
	var out struct {
		ID string `json:"id"`
	}
	return c.do(req, "check token", token, &out)
}

// Subscription is what GET /{id}/subscribed_apps says of an object's webhook subscription.
type Subscription struct {
	// Subscribed is true when at least one app is subscribed to the object.
	Subscribed bool
	// Fields are the subscribed apps' fields (messages, messaging_postbacks, …).
	Fields []string
}

// Has reports whether field is among the subscribed fields.
func (s Subscription) Has(field string) bool { return slices.Contains(s.Fields, field) }

// SubscribedApps reads the apps subscribed to the object id's webhooks (a
// Facebook page, a WhatsApp Business Account) with token.
func (c *Client) SubscribedApps(ctx context.Context, token, id string) (Subscription, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(url.PathEscape(id)+"/subscribed_apps"), nil)
	if err != nil {
		return Subscription{}, fmt.Errorf("graph: subscribed apps: build request: %w", err)
	}
	var out struct {
		Data []struct {
			ID               string   `json:"id"`
			SubscribedFields []string `json:"subscribed_fields"`
			// WhatsApp names the app under whatsapp_business_api_data.
			WhatsApp *struct {
				ID string `json:"id"`
			} `json:"whatsapp_business_api_data"`
		} `json:"data"`
	}
	if err := c.do(req, "subscribed apps", token, &out); err != nil {
		return Subscription{}, err
	}
	var s Subscription
	for _, app := range out.Data {
		s.Subscribed = true
		s.Fields = append(s.Fields, app.SubscribedFields...)
	}
	return s, nil
}
