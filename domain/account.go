package domain

import "time"

// Account tiers, lowest first.
const (
	TierStarter      = "starter"
	TierProfessional = "professional"
	TierEnterprise   = "enterprise"
)

// Token roles.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
	// RoleChannel is a channel key (or a channel's signature): it may only post to its channel's inbound routes.
	RoleChannel = "channel"
)

// Account is one help desk: its users, channels, contacts and tickets.
type Account struct {
	ID        string    `json:"id" db:"id"`
	Name      string    `json:"name" db:"name"`
	Tier      string    `json:"tier" db:"tier"`
	Timezone  string    `json:"timezone" db:"timezone"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
}

// Principal is the authenticated caller of an API request.
type Principal struct {
	AccountID string
	Tier      string
	Role      string
	// UserID is the user an agent token is bound to; empty for admin tokens.
	UserID  string
	TokenID string
	// ChannelID is the channel a channel key or signature authenticates; empty for account tokens.
	ChannelID string
}
