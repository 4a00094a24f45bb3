package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/routedesk/routedesk/domain"
)

// OpenInput names a conversation and its first message.
type OpenInput struct {
	AccountID      string `json:"account_id"`
	ChannelID      string `json:"channel_id"`
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
}

// Opened is what opening a conversation did: the contact, the rules'
// outcome, the ticket and, when this attempt routed it, where routing left it.
type Opened struct {
	Contact ResolvedContact `json:"contact"`
	Rules   RulesOutcome    `json:"rules"`
	Ticket  TicketCreated   `json:"ticket"`
	// Route is nil when the ticket had been routed before (an earlier run of
	// the conversation): Ticket then describes where it stands.
	Route *RouteResult `json:"route,omitempty"`
}

// OpenConversation is a conversation's whole opening sequence in one
// activity: it finds or creates the contact, evaluates the account's rules,
// creates the ticket and routes it. The channel and the message are read
// once. Every step is keyed by the conversation, so the activity is safe to
// repeat after a crash at any point: the contact is found again, the
// conversation's one ticket is returned rather than created twice, and a
// ticket an earlier attempt routed is not routed again (a claim holds the
// candidates' row locks, so an agent is never over capacity).
func (a *Activities) OpenConversation(ctx context.Context, in OpenInput) (Opened, error) {
	ch, err := a.Store.Channel(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return Opened{}, classify(fmt.Errorf("open conversation: %w", err))
	}
	msg, err := a.Store.Message(ctx, in.AccountID, in.MessageID)
	if err != nil {
		return Opened{}, classify(fmt.Errorf("open conversation: %w", err))
	}
	var out Opened
	contact, err := a.Store.UpsertContact(ctx, in.AccountID, in.ChannelID, msg.Author)
	out.Contact = resolvedContact(contact)
	var invalid *domain.ValidationError
	if err != nil && !errors.As(err, &invalid) { // a sender with no identity still gets a ticket, without a contact
		return Opened{}, classify(err)
	}
	out.Rules, err = a.evaluateRules(ctx, EvaluateRulesInput{AccountID: in.AccountID, ChannelID: in.ChannelID,
		MessageID: in.MessageID, ContactID: out.Contact.ContactID, ContactIsNew: out.Contact.IsNew}, ch, msg)
	if err != nil {
		return Opened{}, err
	}
	out.Ticket, err = a.createTicket(ctx, CreateTicketInput{AccountID: in.AccountID, ChannelID: in.ChannelID,
		ConversationID: in.ConversationID, ContactID: out.Contact.ContactID, MessageID: in.MessageID, Rules: &out.Rules}, ch, msg)
	if err != nil {
		return Opened{}, err
	}
	if t := out.Ticket; !t.Created && t.RoutingState != "" && t.RoutingState != domain.RoutingRouting {
		return out, nil // routed by an earlier run or attempt: the workflow resumes from the ticket
	}
	contactID := out.Ticket.ContactID
	if contactID == "" {
		contactID = out.Contact.ContactID
	}
	skills := out.Rules.RequiredSkills
	if !out.Ticket.Created {
		skills = out.Ticket.RequiredSkills // the ticket as an earlier attempt stored it
	}
	res, err := a.Route(ctx, RouteInput{AccountID: in.AccountID, TicketID: out.Ticket.TicketID, ContactID: contactID,
		Routing: out.Ticket.Routing, RequiredSkills: skills})
	if err != nil {
		return Opened{}, err
	}
	out.Route = &res
	return out, nil
}
