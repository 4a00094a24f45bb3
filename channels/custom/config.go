package custom

import (
	"net/url"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/egress"
)

// Config is the configuration of a custom channel app that posts messages through the API.
type Config struct {
	// AppName names the app.
	AppName string `json:"app_name" validate:"required,max=100,single_line"`
	// OutboundURL receives agents' replies: https, or http for localhost, 127.0.0.1 or [::1] only.
	OutboundURL string `json:"outbound_url,omitempty" validate:"omitempty,max=2048,outbound_url"`
	// Secret signs the requests sent to OutboundURL.
	Secret string `json:"secret,omitempty" secret:"true" validate:"max=1024"`
	// ReplyRetrySeconds is how long a reply the channel failed to send temporarily is retried
	// before it is marked failed (0: 24 hours; at most 7 days).
	ReplyRetrySeconds int `json:"reply_retry_seconds,omitempty" validate:"min=0,max=604800"`
}

// Type returns Type.
func (*Config) Type() channels.Type { return Type }

// ApplyDefaults fills unset optional fields with their defaults.
func (*Config) ApplyDefaults() {}

// Check reports the rules struct tags cannot express.
func (c *Config) Check() []domain.FieldError {
	if c.OutboundURL == "" {
		return nil
	}
	u, err := url.Parse(c.OutboundURL)
	if err != nil {
		return nil // the outbound_url tag reports it
	}
	if err := egress.CheckHost(u.Hostname()); err != nil {
		return []domain.FieldError{{Field: "config.outbound_url", Message: err.Error()}}
	}
	return nil
}

// ReplyRetry returns the channel's retry period for replies (0: the default).
func (c *Config) ReplyRetry() time.Duration { return time.Duration(c.ReplyRetrySeconds) * time.Second }
