package channelconfig

import (
	"strings"

	"github.com/routedesk/routedesk/domain"
)

// Config is the decoded configuration of one channel; Decode returns a pointer to Email, Chat, Messenger, Form, WhatsApp, Calling or Custom.
type Config interface {
	// Type returns the channel type the configuration belongs to.
	Type() Type
	// applyDefaults fills unset optional fields with their defaults.
	applyDefaults()
	// check reports the rules struct tags cannot express (cross-field rules, token syntax).
	check() []domain.FieldError
}

// newConfig returns an empty configuration of type t, or nil for an unknown type.
func newConfig(t Type) Config {
	switch t {
	case TypeEmail:
		return &Email{}
	case TypeChat:
		return &Chat{}
	case TypeMessenger:
		return &Messenger{}
	case TypeForm:
		return &Form{}
	case TypeWhatsApp:
		return &WhatsApp{}
	case TypeCalling:
		return &Calling{}
	case TypeCustom:
		return &Custom{}
	}
	return nil
}

// ExternalKey returns the identity the store keeps unique: page id, phone number id, lower-cased address or phone number; "" for other types.
func ExternalKey(c Config) string {
	switch c := c.(type) {
	case *Messenger:
		return c.PageID
	case *WhatsApp:
		return c.PhoneNumberID
	case *Email:
		return strings.ToLower(c.Address)
	case *Calling:
		return c.PhoneNumber
	}
	return ""
}
