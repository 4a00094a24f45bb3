package domain

import "time"

// Contact is a customer who writes in on any channel.
type Contact struct {
	ID          string         `json:"id"`
	Email       *string        `json:"email"`
	Name        string         `json:"name"`
	OwnerUserID *string        `json:"owner_user_id"`
	Properties  map[string]any `json:"properties"`
	// Consent is the GDPR consent the contact gave, nil when none was asked.
	Consent   *Consent  `json:"consent"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Consent records a contact's GDPR consent: given, when, on which channel, to which text.
type Consent struct {
	Given     bool      `json:"given"`
	Mode      string    `json:"mode"` // explicit or implicit
	At        time.Time `json:"at"`
	ChannelID string    `json:"channel_id"`
	Text      string    `json:"text"`
}
