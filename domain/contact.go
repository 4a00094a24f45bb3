package domain

import "time"

// Contact is a customer who writes in on any channel.
type Contact struct {
	ID          string  `json:"id"`
	Email       *string `json:"email"`
	Name        string  `json:"name"`
	OwnerUserID *string `json:"owner_user_id"`
	// Phone is the contact's number in E.164 form.
	Phone string `json:"phone"`
	// Country is an ISO 3166-1 alpha-2 code (SE).
	Country string `json:"country"`
	// Language is a BCP 47 language tag (sv, en-GB).
	Language string `json:"language"`
	// Company is the organisation the contact works for.
	Company    string         `json:"company"`
	Properties map[string]any `json:"properties"`
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
