package workflows

import (
	"time"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/domain"
)

// ConversationInput starts (or continues) a conversation workflow.
type ConversationInput struct {
	AccountID      string `json:"account_id"`
	ChannelID      string `json:"channel_id"`
	ChannelType    string `json:"channel_type"`
	ChannelName    string `json:"channel_name"`
	ConversationID string `json:"conversation_id"`
	// Traits are the channel's reply-window kind and welcome, filled from the registry when the
	// conversation starts; nil in histories started before (traits.Legacy of ChannelType applies).
	Traits *traits.Traits `json:"traits,omitempty"`
	// IdleTimeout ends the workflow after this long without a message; 0 = DefaultIdleTimeout.
	IdleTimeout time.Duration `json:"idle_timeout,omitempty"`
	// OpenWindow and HumanAgentWindow shorten the reply windows (24 h, 7 d) for tests; 0 = the real ones.
	OpenWindow       time.Duration `json:"open_window,omitempty"`
	HumanAgentWindow time.Duration `json:"human_agent_window,omitempty"`
	// ContinueAsNewAfter is the history length past which the workflow continues as new; 0 = 2000.
	ContinueAsNewAfter int `json:"continue_as_new_after,omitempty"`
	// TicketID, when set on a first start, resumes the conversation of an
	// existing ticket (the workflow had ended and an agent acts on it). With no
	// ChannelID it is the workflow of a ticket without a channel (TicketWorkflowID),
	// which routes the ticket and takes agents' changes; replies are refused.
	TicketID string `json:"ticket_id,omitempty"`
	// Contact and Subject describe the first message (its sender, the ticket
	// subject it makes) for the summary the Temporal UI shows; personal data,
	// encrypted by the payload codec. Empty in histories from before.
	Contact string `json:"contact,omitempty"`
	Subject string `json:"subject,omitempty"`
	// State is carried over by continue-as-new; nil on a first start.
	State *ConversationState `json:"state,omitempty"`
}

// TicketAttached names the conversation workflow a ticket without a channel moved to.
type TicketAttached struct {
	WorkflowID string `json:"workflow_id"`
	ChannelID  string `json:"channel_id"`
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
	// OpenUntil and HumanAgentUntil are the reply window's limits (windowed channels only).
	OpenUntil       *time.Time `json:"open_until,omitempty"`
	HumanAgentUntil *time.Time `json:"human_agent_until,omitempty"`
	MessageCount    int        `json:"message_count"`
	// Status is the ticket's status, as far as the workflow knows it.
	Status string `json:"status"`
	// CloseAt is when a solved ticket closes (its account's solved window); nil unless solved.
	CloseAt *time.Time `json:"close_at,omitempty"`
	// CSATAt is when the solved ticket's survey invitation is due; nil when none waits.
	CSATAt *time.Time `json:"csat_at,omitempty"`
	// WaitUntil is when the wait for an agent times out.
	WaitUntil *time.Time `json:"wait_until,omitempty"`
	// Routing and RequiredSkills are what the ticket was routed by.
	Routing        domain.Routing `json:"routing"`
	RequiredSkills []string       `json:"required_skills"`
	LastMessageAt  time.Time      `json:"last_message_at"`
	// SLA is the ticket's SLA clocks (docs/sla.md); nil before a policy was first looked for.
	SLA *SLAState `json:"sla,omitempty"`
	// Seen holds the ids of the latest messages handled, to ignore a redelivery.
	Seen []string `json:"seen"`
}

// AgentAssigned says which agent a dispatch assigned to a waiting ticket.
type AgentAssigned struct {
	UserID string `json:"user_id"`
}

// AssigneeRemoved names a deleted user whose tickets PostgreSQL already unassigned.
type AssigneeRemoved struct {
	UserID string `json:"user_id"`
}

// ReplyRequest is an agent's reply: text, or an approved WhatsApp template.
type ReplyRequest struct {
	AuthorUserID string               `json:"author_user_id,omitempty"`
	Text         string               `json:"text"`
	HTML         string               `json:"html,omitempty"`
	Template     *activities.Template `json:"template,omitempty"`
	// ChannelID and ChannelType name the channel the reply goes out on when it is not the
	// conversation's (a form's or a call's replies go out by email or WhatsApp).
	ChannelID   string `json:"channel_id,omitempty"`
	ChannelType string `json:"channel_type,omitempty"`
	// Attachments are the ids of the files uploaded with the reply; nothing of the files themselves.
	Attachments []string `json:"attachments,omitempty"`
}

// ReplyResult says which message a reply became and how it was tagged.
type ReplyResult struct {
	MessageID string `json:"message_id"`
	Tag       string `json:"tag"`
	Status    string `json:"status"`
	// FailureReason says why the reply failed or was suppressed.
	FailureReason string `json:"failure_reason,omitempty"`
}

// ChangeRequest changes a ticket's status or assignee; nil fields stay; an empty id unassigns.
type ChangeRequest struct {
	Status     *string `json:"status,omitempty"`
	AssignUser *string `json:"assign_user,omitempty"`
	AssignTeam *string `json:"assign_team,omitempty"`
	// ActorUserID is the user who asks; Via the route or rule the change comes from (the audit trail).
	ActorUserID string `json:"actor_user_id,omitempty"`
	Via         string `json:"via,omitempty"`
	// OnReply is the change an agent's reply makes: the assignee only for a ticket without one, the
	// status only for a new ticket (store.TicketChange.OnReply).
	OnReply bool `json:"on_reply,omitempty"`
}

// ChangeResult is the ticket's status, assignee and routing state after a change.
type ChangeResult struct {
	Status       string `json:"status"`
	AssigneeID   string `json:"assignee_id"`
	RoutingState string `json:"routing_state"`
}
