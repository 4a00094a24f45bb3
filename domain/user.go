package domain

import "time"

// Agent availability states.
const (
	Available = "available"
	Away      = "away"
	Offline   = "offline"
)

// User is a member of an account's support team.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	// HasProfile is true for users with a service profile, the only ones tickets are assigned to.
	HasProfile   bool      `json:"has_profile"`
	Skills       []string  `json:"skills"`
	Capacity     int       `json:"capacity"`
	Availability string    `json:"availability"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Team is a named group of users that channels route to.
type Team struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Members   []string  `json:"members"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}
