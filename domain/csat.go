package domain

import "time"

// CSAT is a ticket's customer-satisfaction survey: scheduled when the ticket is solved, its invitation
// sent after the account's delay (or failed, with the reason, or cancelled by a reopen), answered with a
// rating from 1 (very unsatisfied) to 5 (very satisfied) and an optional comment.
type CSAT struct {
	// State is scheduled, sent, failed, cancelled or answered.
	State string `json:"state" db:"state"`
	// Reason says why a survey failed or was cancelled.
	Reason     string     `json:"reason,omitempty" db:"reason"`
	Rating     *int       `json:"rating" db:"rating"`
	Comment    string     `json:"comment" db:"comment"`
	SentAt     *time.Time `json:"sent_at" db:"sent_at"`
	AnsweredAt *time.Time `json:"answered_at" db:"answered_at"`
}
