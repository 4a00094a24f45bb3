package channels

import (
	"github.com/routedesk/routedesk/domain"
)

// Config is the decoded configuration of one channel; each channel package defines its own (chat.Config, messenger.Config, …).
//
// Its fields carry the rules: `json` tags name them, `validate` tags (go-playground/validator
// plus this package's rrggbb, e164_strict, digits_only, identifier, host, timezone_name,
// single_line, no_space and outbound_url) check them, and `secret:"true"` marks a secret.
type Config interface {
	// Type returns the channel type the configuration belongs to.
	Type() Type
	// ApplyDefaults fills unset optional fields with their defaults.
	ApplyDefaults()
	// Check reports the rules struct tags cannot express (cross-field rules, token syntax), by "config.…" path.
	Check() []domain.FieldError
}

// Keyed is a configuration with an identity that routes inbound traffic or names the channel to the
// outside (a page id, a phone number id, an email mailbox): one channel that is not disconnected owns it,
// across all accounts.
type Keyed interface {
	// ExternalKey returns the identity, normalised for comparison; "" means none.
	ExternalKey() string
	// ExternalKeyField names the config field holding it, e.g. "config.address", for a 409.
	ExternalKeyField() string
}

// ExternalKeyField returns the config field holding c's identity, or "" when its type has none.
func ExternalKeyField(c Config) string {
	if k, ok := c.(Keyed); ok {
		return k.ExternalKeyField()
	}
	return ""
}

// ExternalKey returns the identity the store keeps unique for c, or "" when its type has none.
func ExternalKey(c Config) string {
	if k, ok := c.(Keyed); ok {
		return k.ExternalKey()
	}
	return ""
}

// TemplateAccount is a configuration whose number sends pre-approved message templates
// (WhatsApp): the Graph token and the business account that owns the templates.
type TemplateAccount interface {
	Config
	// TemplateOwner returns the access token and the business account id ("" when not configured).
	TemplateOwner() (accessToken, businessAccountID string)
}
