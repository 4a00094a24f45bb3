package whatsapp

import (
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// Config is the configuration of a WhatsApp Business (Cloud API) number.
type Config struct {
	// PhoneNumberID is Meta's numeric id of the business phone number.
	PhoneNumberID string `json:"phone_number_id" validate:"required,max=32,digits_only"`
	// AccessToken is the system-user token used to send messages.
	AccessToken string `json:"access_token" secret:"true" validate:"required,max=4096,no_space"`
	// AppSecret verifies webhook signatures (X-Hub-Signature-256).
	AppSecret string `json:"app_secret" secret:"true" validate:"required,max=256,no_space"`
	// VerifyToken answers Meta's webhook verification handshake.
	VerifyToken string `json:"verify_token,omitempty" secret:"true" validate:"max=256,no_space"`
	// BusinessPhone is the number customers write to, E.164 (+14155550123).
	BusinessPhone string `json:"business_phone,omitempty" validate:"omitempty,e164_strict"`
	// BusinessAccountID is the WhatsApp Business Account (WABA) owning the number, whose approved message templates the console lists.
	BusinessAccountID string `json:"business_account_id,omitempty" validate:"omitempty,max=32,digits_only"`
	// ReplyRetrySeconds is how long a reply the channel failed to send temporarily is retried
	// before it is marked failed (0: 24 hours; at most 7 days).
	ReplyRetrySeconds int `json:"reply_retry_seconds,omitempty" validate:"min=0,max=604800"`
}

// Type returns Type.
func (*Config) Type() channels.Type { return Type }

// ApplyDefaults fills unset optional fields with their defaults.
func (*Config) ApplyDefaults() {}

// Check reports the rules struct tags cannot express.
func (*Config) Check() []domain.FieldError { return nil }

// ReplyRetry returns the channel's retry period for replies (0: the default).
func (c *Config) ReplyRetry() time.Duration { return time.Duration(c.ReplyRetrySeconds) * time.Second }
