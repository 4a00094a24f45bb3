package activities

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// ResolvedContact is the contact an inbound message belongs to; it is recorded in
// workflow histories, so its JSON names never change.
type ResolvedContact struct {
	ContactID string `json:"contact_id"`
	IsNew     bool   `json:"is_new"`
}

// resolvedContact is the payload of the store's answer.
func resolvedContact(c store.ResolvedContact) ResolvedContact {
	return ResolvedContact{ContactID: c.ContactID, IsNew: c.IsNew}
}

// CreateTicketInput names the conversation, its contact and its first message.
type CreateTicketInput struct {
	AccountID      string `json:"account_id"`
	ChannelID      string `json:"channel_id"`
	ConversationID string `json:"conversation_id"`
	ContactID      string `json:"contact_id"`
	MessageID      string `json:"message_id"`
	// Rules is what the account's rules decided; nil when they were not evaluated.
	Rules *RulesOutcome `json:"rules,omitempty"`
}

// TicketCreated is the ticket of a conversation and the channel version it was created by.
type TicketCreated struct {
	TicketID       string         `json:"ticket_id"`
	Created        bool           `json:"created"`
	Status         string         `json:"status"`
	ChannelVersion int            `json:"channel_version"`
	Routing        domain.Routing `json:"routing"`
	// The rest describe an existing ticket (Created false), to resume its conversation.
	ContactID      string   `json:"contact_id,omitempty"`
	AssigneeID     string   `json:"assignee_id,omitempty"`
	RoutingState   string   `json:"routing_state,omitempty"`
	RequiredSkills []string `json:"required_skills,omitempty"`
}

// ticketCreated describes t; its own routing (POST /v1/tickets with a routing object) overrides the channel's.
func ticketCreated(t domain.Ticket, created bool, ch domain.Channel) TicketCreated {
	out := TicketCreated{TicketID: t.ID, Created: created, Status: t.Status, ChannelVersion: ch.Version, Routing: ch.Routing,
		RoutingState: t.RoutingState, RequiredSkills: t.RequiredSkills}
	if t.Routing != nil {
		out.Routing = *t.Routing
	}
	if t.ContactID != nil {
		out.ContactID = *t.ContactID
	}
	if t.Assignee.UserID != nil {
		out.AssigneeID = *t.Assignee.UserID
	}
	return out
}

// LoadTicket describes an existing ticket, for a conversation workflow that
// starts again after it ended (an agent acts on an idle conversation).
func (a *Activities) LoadTicket(ctx context.Context, in TicketRef) (TicketCreated, error) {
	t, err := a.Store.Ticket(ctx, in.AccountID, in.TicketID)
	if err != nil {
		return TicketCreated{}, classify(err)
	}
	if t.ChannelID == "" {
		return ticketCreated(t, false, domain.Channel{}), nil // a ticket without a channel: its own routing
	}
	ch, err := a.Store.Channel(ctx, in.AccountID, t.ChannelID)
	if err != nil {
		return TicketCreated{}, classify(err)
	}
	return ticketCreated(t, false, ch), nil
}

// createTicket creates the conversation's ticket from the channel's ticket defaults and the
// first message (channel and message loaded); it returns the existing ticket on a repeat.
func (a *Activities) createTicket(ctx context.Context, in CreateTicketInput, ch domain.Channel, msg domain.Message) (TicketCreated, error) {
	d := withMessageProperties(ch.TicketDefaults, msg.Properties)
	var skills []string
	if in.Rules != nil {
		d = applyRules(d, in.Rules.Properties)
		skills = in.Rules.RequiredSkills
	}
	t, created, err := a.Store.CreateTicket(ctx, store.NewTicket{
		AccountID: in.AccountID, ConversationID: in.ConversationID, ChannelID: in.ChannelID,
		ContactID: in.ContactID, Subject: Subject(msg, ch.Name), Description: Description(msg),
		Pipeline: d.Pipeline, Status: d.Status, Priority: d.Priority, Properties: d.Properties,
		RequiredSkills: skills, RulesOutcome: in.Rules.Record(),
	})
	if err != nil {
		return TicketCreated{}, classify(err)
	}
	return ticketCreated(t, created, ch), nil
}

// Description is a ticket's description: the form's description field for a submission, else the message's text.
func Description(m domain.Message) string {
	if m.Submission != nil {
		return m.Submission.Description
	}
	return m.Text
}

// maxSubject is the longest subject, in characters, taken from a message's text.
const maxSubject = 120

// Subject is a ticket's subject: the message's subject, else its first line
// of text shortened to 120 characters, else a line naming the channel.
func Subject(m domain.Message, channelName string) string {
	if s := strings.TrimSpace(m.Subject); s != "" {
		return s
	}
	line, _, _ := strings.Cut(strings.TrimSpace(m.Text), "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		return "New conversation on " + channelName
	}
	if utf8.RuneCountInString(line) > maxSubject {
		r := []rune(line)
		line = strings.TrimSpace(string(r[:maxSubject-1])) + "…"
	}
	return line
}

// RoutingStateInput sets a ticket's routing state.
type RoutingStateInput struct {
	AccountID string `json:"account_id"`
	TicketID  string `json:"ticket_id"`
	State     string `json:"state"`
	// Event, when set, is recorded in the ticket's history.
	Event string `json:"event,omitempty"`
}

// SetRoutingState records a ticket's routing state and, optionally, an event.
func (a *Activities) SetRoutingState(ctx context.Context, in RoutingStateInput) error {
	if err := a.Store.SetRoutingState(ctx, in.AccountID, in.TicketID, in.State); err != nil {
		return classify(err)
	}
	if in.Event != "" {
		return classify(a.Store.AddTicketEvent(ctx, in.TicketID, in.Event, map[string]any{"routing_state": in.State}))
	}
	return nil
}

// ReplyWindowInput is a ticket's reply window to record.
type ReplyWindowInput struct {
	AccountID string             `json:"account_id"`
	TicketID  string             `json:"ticket_id"`
	Window    domain.ReplyWindow `json:"window"`
}

// SetReplyWindow records the state of a ticket's reply window, for the API.
func (a *Activities) SetReplyWindow(ctx context.Context, in ReplyWindowInput) error {
	return classify(a.Store.SetReplyWindow(ctx, in.AccountID, in.TicketID, in.Window))
}
