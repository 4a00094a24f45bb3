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
	Consent *Consent `json:"consent"`
	// Identities are every identity inbound messages find the contact by (one contact's read only).
	Identities *ContactIdentities `json:"identities,omitempty"`
	CreatedAt  time.Time          `json:"created_at"`
	UpdatedAt  time.Time          `json:"updated_at"`
}

// Consent records a contact's GDPR consent: given, when, on which channel, to which text.
type Consent struct {
	Given     bool      `json:"given"`
	Mode      string    `json:"mode"` // explicit or implicit
	At        time.Time `json:"at"`
	ChannelID string    `json:"channel_id"`
	Text      string    `json:"text"`
}

// ExternalID is a contact's user id on one channel: a chat visitor, a custom app's user, a Messenger PSID.
type ExternalID struct {
	ChannelID      string `json:"channel_id"`
	ExternalUserID string `json:"external_user_id"`
}

// ContactIdentities are the identities a contact is matched by, each unique in its account.
type ContactIdentities struct {
	Emails      []string     `json:"emails"`
	Phones      []string     `json:"phones"`
	ExternalIDs []ExternalID `json:"external_ids"`
}
