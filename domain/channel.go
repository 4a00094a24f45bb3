package domain

import (
	"encoding/json"
	"errors"
	"time"
)

// Channel statuses. A disconnected channel keeps its tickets, messages and
// rules, readable as before, but its inbound routes refuse new traffic.
const (
	ChannelConnected    = "connected"
	ChannelDisconnected = "disconnected"
)

// ErrChannelDisconnected means the channel of an inbound route is disconnected (410).
var ErrChannelDisconnected = errors.New("the channel is disconnected")

// Assignment modes of a channel's routing.
const (
	AssignNone          = "none"
	AssignUsersAndTeams = "users_and_teams"
	AssignContactOwner  = "contact_owner"
)

// Channel is a connected inbound channel of an account.
type Channel struct {
	ID        string `json:"id"`
	AccountID string `json:"-"`
	Type      string `json:"type"`
	Name      string `json:"name"`
	// Status is connected, disconnected or pending_verification (an email address not proven yet).
	Status string `json:"status"`
	// StatusReason says why a channel is not connected (claimed_by_another_channel); "" otherwise.
	StatusReason string `json:"status_reason,omitempty"`
	// VerifiedAt is when the channel's email address was proven; null for unproven addresses and other types.
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	// VerifiedBy says how: code, link, migration (connected before verification existed) or auto (verification off).
	VerifiedBy string `json:"verified_by,omitempty"`
	// DisconnectedAt is when the channel was disconnected; null while connected.
	DisconnectedAt *time.Time `json:"disconnected_at"`
	// Config is the channel's configuration with every secret shown as "***".
	Config         json.RawMessage `json:"config"`
	TicketDefaults TicketDefaults  `json:"ticket_defaults"`
	Routing        Routing         `json:"routing"`
	// Version grows by one on every change of config, defaults or routing.
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Health is how the channel's connections are doing (ChannelHealth); separate from Status.
	Health *ChannelHealth `json:"health,omitempty"`
}

// TicketDefaults are the properties every ticket of a channel starts with.
type TicketDefaults struct {
	Pipeline   string         `json:"pipeline" validate:"max=100"`
	Status     string         `json:"status" validate:"omitempty,oneof=new open pending on_hold solved closed"`
	Priority   string         `json:"priority,omitempty" validate:"max=100"`
	Properties map[string]any `json:"properties"`
}

// Routing says who a channel's tickets are assigned to.
type Routing struct {
	AssignTo       string   `json:"assign_to" validate:"omitempty,oneof=none users_and_teams contact_owner"`
	Users          []string `json:"users" validate:"max=100"`
	Teams          []string `json:"teams" validate:"max=100"`
	OnlyAvailable  *bool    `json:"only_available"`
	TimeoutSeconds int      `json:"timeout_seconds" validate:"omitempty,min=10,max=604800"`
	// AssignOnReply gives a ticket without an assignee to the agent who first replies to it (default true).
	AssignOnReply *bool `json:"assign_on_reply"`
}

// WithDefaults fills unset routing fields: nobody assigned, only available agents, 300 s wait, assign on reply.
func (r Routing) WithDefaults() Routing {
	if r.AssignOnReply == nil {
		t := true
		r.AssignOnReply = &t
	}
	if r.AssignTo == "" {
		r.AssignTo = AssignNone
	}
	if r.OnlyAvailable == nil {
		t := true
		r.OnlyAvailable = &t
	}
	if r.TimeoutSeconds == 0 {
		r.TimeoutSeconds = 300
	}
	if r.Users == nil {
		r.Users = []string{}
	}
	if r.Teams == nil {
		r.Teams = []string{}
	}
	return r
}

// WithDefaults fills unset ticket defaults: pipeline "support", status "new".
func (d TicketDefaults) WithDefaults() TicketDefaults {
	if d.Pipeline == "" {
		d.Pipeline = "support"
	}
	if d.Status == "" {
		d.Status = TicketStatusNew
	}
	if d.Properties == nil {
		d.Properties = map[string]any{}
	}
	return d
}

// ChannelHealth is how a channel's connections are doing: the worst of its
// components (IMAP mailbox, SMTP relay, Graph token, app endpoint).
type ChannelHealth struct {
	// State is ok, degraded or failing.
	State string `json:"state"`
	// Reason is the last failure, for a person; "" when ok.
	Reason string `json:"reason"`
	// Since is when State began.
	Since *time.Time `json:"since"`
	// LastSuccessAt is the last time a component worked; null when none has yet.
	LastSuccessAt *time.Time `json:"last_success_at"`
	// Components are the health of each part that has reported.
	Components []ComponentHealth `json:"components"`
	// LastWebhookAt is when the last signed webhook delivery for a Messenger or WhatsApp channel arrived (to within 30 s); null when none has.
	LastWebhookAt *time.Time `json:"last_webhook_at,omitempty"`
	// CheckedAt is when the channel's Graph token and webhook subscription were last checked; null when never.
	CheckedAt *time.Time `json:"checked_at,omitempty"`
}

// ComponentHealth is the health of one part of a channel.
type ComponentHealth struct {
	Component     string     `json:"component"`
	State         string     `json:"state"`
	Reason        string     `json:"reason"`
	Since         time.Time  `json:"since"`
	LastSuccessAt *time.Time `json:"last_success_at"`
}
