package domain

import "time"

// Message directions and statuses.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"

	MessageReceived   = "received"
	MessageQueued     = "queued"
	MessageSent       = "sent"
	MessageFailed     = "failed"
	MessageSuppressed = "suppressed"
	// MessageRetrying is an outbound message whose channel failed temporarily: it is sent again at NextAttemptAt.
	MessageRetrying = "retrying"
)

// Author is who wrote a message: a customer's address and ids, or an agent.
type Author struct {
	Email          string `json:"email,omitempty"`
	Name           string `json:"name,omitempty"`
	ExternalUserID string `json:"external_user_id,omitempty"`
	UserID         string `json:"user_id,omitempty"`
	// Phone is the sender's number in E.164 form (calls, forms with a phone field).
	Phone string `json:"phone,omitempty"`
}

// Message is one inbound or outbound message of a conversation.
type Message struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	ChannelID      string    `json:"channel_id"`
	ExternalID     string    `json:"external_id"`
	Direction      string    `json:"direction"`
	Author         Author    `json:"author"`
	Subject        string    `json:"subject"`
	Text           string    `json:"text"`
	HTML           string    `json:"html"`
	Tag            string    `json:"tag"`
	Status         string    `json:"status"`
	SentAt         time.Time `json:"sent_at"`
	// FailureReason says why a failed outbound message was not sent.
	FailureReason string `json:"failure_reason,omitempty"`
	// Attempts is how many times an outbound message was handed to its channel.
	Attempts int `json:"attempts,omitempty"`
	// NextAttemptAt is when a retrying outbound message is tried again.
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	// Submission is what a form submission adds to its message; never part of the thread's JSON (hidden fields).
	Submission *Submission `json:"-"`
	// Properties are what the channel knows about an inbound message (chat: outside_hours, unverified_email).
	Properties map[string]any `json:"properties,omitempty"`
}

// Submission is a form submission's fields beyond its message text: rules and the contact's timeline see them.
type Submission struct {
	// Fields are every submitted field by name, hidden ones included.
	Fields map[string]string `json:"fields"`
	// Hidden are the hidden fields by name.
	Hidden map[string]string `json:"hidden"`
	// Description is the ticket description the form's description field gives.
	Description string `json:"description"`
	// PageURL is the page the form was submitted on.
	PageURL string `json:"page_url"`
	// SubmittedAt is when the visitor submitted the form.
	SubmittedAt time.Time `json:"submitted_at"`
}
