package workflows

import "time"

// ConversationInput starts (or continues) a conversation workflow.
type ConversationInput struct {
	AccountID      string `json:"account_id"`
	ChannelID      string `json:"channel_id"`
	ChannelType    string `json:"channel_type"`
	ChannelName    string `json:"channel_name"`
	ConversationID string `json:"conversation_id"`
	// IdleTimeout ends the workflow after this long without a message; 0 = DefaultIdleTimeout.
	IdleTimeout time.Duration `json:"idle_timeout,omitempty"`
	// State is carried over by continue-as-new; nil on a first start.
	State *ConversationState `json:"state,omitempty"`
}

// InboundMessage tells the conversation that a customer message was stored.
// Only the id travels through Temporal: the content stays in PostgreSQL.
type InboundMessage struct {
	MessageID string `json:"message_id"`
}

// ConversationState is what the "state" query returns.
type ConversationState struct {
	ConversationID string     `json:"conversation_id"`
	TicketID       string     `json:"ticket_id"`
	ContactID      string     `json:"contact_id"`
	RoutingState   string     `json:"routing_state"`
	AssigneeID     string     `json:"assignee_id"`
	WaitingSince   *time.Time `json:"waiting_since"`
	ReplyWindow    string     `json:"reply_window"`
	MessageCount   int        `json:"message_count"`
	LastMessageAt  time.Time  `json:"last_message_at"`
	// Seen holds the ids of the latest messages handled, to ignore a redelivery.
	Seen []string `json:"seen"`
}
