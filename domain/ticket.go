package domain

import (
	"encoding/json"
	"time"
)

// Ticket statuses routedesk itself acts on; channels may define others.
const (
	TicketStatusNew    = "new"
	TicketStatusClosed = "closed"
)

// Routing states of a ticket.
const (
	RoutingRouting         = "routing"
	RoutingWaitingForAgent = "waiting_for_agent"
	RoutingAssigned        = "assigned"
	RoutingUnassigned      = "unassigned"
)

// Reply window states.
const (
	WindowOpen           = "open"
	WindowHumanAgentOnly = "human_agent_only"
	WindowClosed         = "closed"
	WindowNone           = "none"
)

// Ticket is the unit of work an agent handles: one per conversation, or one without a
// channel (from POST /v1/tickets) whose ChannelID, ChannelType and ConversationID are ""
// (null in JSON) until a reply through a channel gives it a conversation.
type Ticket struct {
	ID             string         `json:"id"`
	ConversationID string         `json:"conversation_id"`
	WorkflowID     string         `json:"workflow_id"`
	ChannelID      string         `json:"channel_id"`
	ChannelType    string         `json:"channel_type"`
	ContactID      *string        `json:"contact_id"`
	Subject        string         `json:"subject"`
	Description    string         `json:"description"`
	Pipeline       string         `json:"pipeline"`
	Status         string         `json:"status"`
	Priority       string         `json:"priority"`
	Properties     map[string]any `json:"properties"`
	RequiredSkills []string       `json:"required_skills"`
	Tags           []string       `json:"tags"`
	Assignee       Assignee       `json:"assignee"`
	RoutingState   string         `json:"routing_state"`
	ReplyWindow    ReplyWindow    `json:"reply_window"`
	// Source is where the ticket came from: channel (a conversation), api, import or integration.
	Source string `json:"source"`
	// FollowUpOf is the closed ticket this one follows up (a customer wrote again after it closed); nil if none.
	FollowUpOf *string `json:"follow_up_of"`
	// FollowUps are the ids of the tickets that follow this one up, oldest first.
	FollowUps []string `json:"follow_ups"`
	// Routing is the routing the ticket was given itself (POST /v1/tickets with a routing object),
	// which it is routed by instead of its channel's; nil when the channel's applies.
	Routing *Routing `json:"routing,omitempty"`
	// SLA is the ticket's service level (docs/sla.md): its policy, next deadline and breach; nil when no policy applies.
	SLA       *TicketSLA `json:"sla"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// CSAT is the ticket's satisfaction survey (GET /v1/tickets/{id} only); absent when it has none.
	CSAT *CSAT `json:"csat,omitempty"`
}

// TicketSLA is a ticket's service level as its conversation workflow keeps it.
type TicketSLA struct {
	PolicyID string `json:"policy_id"`
	// DueAt is the earliest deadline of the targets still running; null when none runs (met, paused).
	DueAt    *time.Time `json:"due_at"`
	Breached bool       `json:"breached"`
	// TeamClocks is how long each team held the ticket (GET /v1/tickets/:id only; lists leave it out).
	TeamClocks []TeamClock `json:"team_clocks,omitempty"`
}

// TeamClock is how long one team held a ticket, in wall time and, under a policy that counts in
// business hours, in business time.
type TeamClock struct {
	TeamID string `json:"team_id"`
	// Seconds is the wall time the team held the ticket, a span still running counted to now.
	Seconds float64 `json:"seconds"`
	// BusinessSeconds is the part of it within the policy's business hours; null when the policy counts wall time.
	BusinessSeconds *float64 `json:"business_seconds"`
}

// MarshalJSON writes a ticket without a channel with "channel_id", "channel_type" and "conversation_id" null.
func (t Ticket) MarshalJSON() ([]byte, error) {
	type plain Ticket // without this method
	return json.Marshal(struct {
		plain
		ConversationID *string `json:"conversation_id"`
		ChannelID      *string `json:"channel_id"`
		ChannelType    *string `json:"channel_type"`
	}{plain(t), orNull(t.ConversationID), orNull(t.ChannelID), orNull(t.ChannelType)})
}

// orNull is nil for "", else a pointer to s.
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Assignee is the user and team a ticket is assigned to.
type Assignee struct {
	UserID *string `json:"user_id"`
	TeamID *string `json:"team_id"`
}

// ReplyWindow is the state of a channel's reply window for a conversation.
type ReplyWindow struct {
	State           string     `json:"state"`
	OpenUntil       *time.Time `json:"open_until"`
	HumanAgentUntil *time.Time `json:"human_agent_until"`
}
