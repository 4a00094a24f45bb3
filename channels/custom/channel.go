// Package custom is the custom app channel: an app of the customer's own posts
// messages through the API and receives agents' replies at its outbound_url.
package custom

import (
	"net/http"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/egress"
)

// Type is the custom channel type.
const Type channels.Type = "custom"

// DefaultTimeout bounds one POST to an app's outbound_url when New is given no client.
const DefaultTimeout = 10 * time.Second

// Channel is the custom app channel.
type Channel struct {
	http  *http.Client
	store Store
}

// WithStore lets replies carry their conversation's thread_id (read from st); nil leaves thread_id out.
func (c *Channel) WithStore(st Store) *Channel {
	c.store = st
	return c
}

// New returns the custom channel posting replies with client; nil means a client with DefaultTimeout.
func New(client *http.Client) *Channel {
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout, Transport: egress.Transport()}
	}
	return &Channel{http: client}
}

// Type returns Type.
func (*Channel) Type() channels.Type { return Type }

// NewConfig returns an empty *Config.
func (*Channel) NewConfig() channels.Config { return &Config{} }

// TierRequired returns the professional tier.
func (*Channel) TierRequired() string { return domain.TierProfessional }

// Traits returns no reply window.
func (*Channel) Traits() traits.Traits { return traits.Traits{} }
