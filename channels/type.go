package channels

import "github.com/routedesk/routedesk/domain"

// Type is a channel type, as named in the API's "type" field.
type Type string

// tierRank orders the account tiers; an unknown tier ranks below starter.
var tierRank = map[string]int{
	domain.TierStarter:      1,
	domain.TierProfessional: 2,
	domain.TierEnterprise:   3,
}

// TierAllows reports whether an account on tier may connect a channel that needs the required tier ("" = any tier).
func TierAllows(tier, required string) bool {
	return required == "" || tierRank[tier] >= tierRank[required]
}
