package domain

import "time"

// Contact is a customer who writes in on any channel.
type Contact struct {
	ID          string         `json:"id"`
	Email       *string        `json:"email"`
	Name        string         `json:"name"`
	OwnerUserID *string        `json:"owner_user_id"`
	Properties  map[string]any `json:"properties"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}
