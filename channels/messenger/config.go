package messenger

import (
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// Config is the configuration of a Facebook Messenger page.
type Config struct {
	// PageID is the Facebook page's numeric id; a page may be connected to one account only.
	PageID string `json:"page_id" validate:"required,max=32,digits_only"`
	// PageAccessToken is the page token used to send messages.
	PageAccessToken string `json:"page_access_token" secret:"true" validate:"required,max=4096,no_space"`
	// AppSecret verifies webhook signatures (X-Hub-Signature-256).
	AppSecret string `json:"app_secret" secret:"true" validate:"required,max=256,no_space"`
	// VerifyToken answers Meta's webhook verification handshake.
	VerifyToken string `json:"verify_token,omitempty" secret:"true" validate:"max=256,no_space"`
	// Greeting is shown before a person's first message.
	Greeting string `json:"greeting,omitempty" validate:"max=1000"`
	// InstantReply is sent automatically after a person's first message.
	InstantReply string `json:"instant_reply,omitempty" validate:"max=1000"`
	// GDPR asks for consent before the conversation is stored.
	GDPR *GDPR `json:"gdpr,omitempty"`
	// ReplyRetrySeconds is how long a reply the channel failed to send temporarily is retried
	// before it is marked failed (0: 24 hours; at most 7 days).
	ReplyRetrySeconds int `json:"reply_retry_seconds,omitempty" validate:"min=0,max=604800"`
}

// GDPR is a Messenger channel's consent notice.
type GDPR struct {
	// Enabled turns the consent notice on.
	Enabled bool `json:"enabled"`
	// Consent is explicit (the default when enabled) or implicit.
	Consent string `json:"consent,omitempty" validate:"omitempty,oneof=explicit implicit"`
	// Text is the notice shown to the person; required when Enabled.
	Text string `json:"text,omitempty" validate:"max=2000"`
}

// Type returns Type.
func (*Config) Type() channels.Type { return Type }

// ApplyDefaults fills unset optional fields with their defaults.
func (m *Config) ApplyDefaults() {
	if m.GDPR != nil && m.GDPR.Enabled && m.GDPR.Consent == "" {
		m.GDPR.Consent = "explicit"
	}
}

// Check reports the rules struct tags cannot express.
func (m *Config) Check() []domain.FieldError {
	if m.GDPR != nil && m.GDPR.Enabled && m.GDPR.Text == "" {
		return []domain.FieldError{{Field: "config.gdpr.text", Message: "is required when gdpr.enabled is true"}}
	}
	return nil
}

// ReplyRetry returns the channel's retry period for replies (0: the default).
func (c *Config) ReplyRetry() time.Duration { return time.Duration(c.ReplyRetrySeconds) * time.Second }
