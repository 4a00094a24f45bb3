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
)

// Author is who wrote a message: a customer's address and ids, or an agent.
type Author struct {
	Email          string `json:"email,omitempty"`
	Name           string `json:"name,omitempty"`
	ExternalUserID string `json:"external_user_id,omitempty"`
	UserID         string `json:"user_id,omitempty"`
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
	// Properties are what the channel knows about an inbound message (chat: outside_hours, unverified_email).
	Properties map[string]any `json:"properties,omitempty"`
}
