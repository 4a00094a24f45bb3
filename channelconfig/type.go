package channelconfig

import "github.com/routedesk/routedesk/domain"

// Type is a channel type, as named in the API's "type" field.
type Type string

// The channel types.
const (
	TypeEmail     Type = "email"
	TypeChat      Type = "chat"
	TypeMessenger Type = "messenger"
	TypeForm      Type = "form"
	TypeWhatsApp  Type = "whatsapp"
	TypeCalling   Type = "calling"
	TypeCustom    Type = "custom"
)

// Types returns every channel type, in the API's order.
func Types() []Type {
	return []Type{TypeEmail, TypeChat, TypeMessenger, TypeForm, TypeWhatsApp, TypeCalling, TypeCustom}
}

// ParseType returns the Type named s (exact, lower-case) and whether it is one.
func ParseType(s string) (Type, bool) {
	for _, t := range Types() {
		if string(t) == s {
			return t, true
		}
	}
	return "", false
}

// tierRank orders the account tiers; an unknown tier ranks below starter.
var tierRank = map[string]int{
	domain.TierStarter:      1,
	domain.TierProfessional: 2,
	domain.TierEnterprise:   3,
}

// TierRequired returns the lowest account tier that may connect channels of type t, or "" when any tier may.
func TierRequired(t Type) string {
	switch t {
	case TypeWhatsApp, TypeCalling, TypeCustom:
		return domain.TierProfessional
	}
	return ""
}

// TierAllows reports whether an account on tier may connect channels of type t.
func TierAllows(tier string, t Type) bool {
	required := TierRequired(t)
	return required == "" || tierRank[tier] >= tierRank[required]
}
