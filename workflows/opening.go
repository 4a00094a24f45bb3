package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// openTicket finds the contact, creates the ticket and routes it.
func (c *conversation) openTicket(ctx workflow.Context, msg InboundMessage) error {
	if workflow.GetVersion(ctx, changeOpenAtOnce, workflow.DefaultVersion, 1) == 1 {
		return c.openAtOnce(ctx, msg)
	}
	return c.openInSteps(ctx, msg)
}

// openAtOnce is openTicket since changeOpenAtOnce: the contact, the rules,
// the ticket and its routing in one local activity (one marker event in the
// history instead of four activities and their workflow tasks), then the
// ticket id, routing state and assignee in one search-attribute upsert.
func (c *conversation) openAtOnce(ctx workflow.Context, msg InboundMessage) error {
	var o activities.Opened
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, openOptions), a.OpenConversation, activities.OpenInput{
		AccountID: c.in.AccountID, ChannelID: c.in.ChannelID, ConversationID: c.in.ConversationID, MessageID: msg.MessageID,
	}).Get(ctx, &o)
	if err != nil {
		return c.fail(ctx, "open conversation", err)
	}
	c.state.ContactID = o.Contact.ContactID
	if o.Route == nil {
		return c.carryOn(ctx, o.Ticket)
	}
	t := o.Ticket
	c.state.TicketID, c.state.Status, c.state.Routing = t.TicketID, t.Status, t.Routing
	c.state.RequiredSkills = o.Rules.RequiredSkills
	if !t.Created { // an earlier attempt stored the ticket; it is routed by what it holds
		c.state.RequiredSkills = t.RequiredSkills
		if t.ContactID != "" {
			c.state.ContactID = t.ContactID
		}
	}
	if err := c.welcomeNew(ctx); err != nil {
		return err
	}
	also := []temporal.SearchAttributeUpdate{TicketIDKey.ValueSet(t.TicketID)}
	if c.lifecycle(ctx) {
		also = append(also, TicketStatusKey.ValueSet(t.Status))
	}
	return c.routed(ctx, *o.Route, also...)
}

// openInSteps is openTicket in histories from before changeOpenAtOnce: the
// contact, the rules and the ticket as three activities, then routing.
func (c *conversation) openInSteps(ctx workflow.Context, msg InboundMessage) error {
	var contact activities.ResolvedContact
	err := workflow.ExecuteActivity(ctx, a.UpsertContact, activities.UpsertContactInput{
		AccountID: c.in.AccountID, ChannelID: c.in.ChannelID, MessageID: msg.MessageID,
	}).Get(ctx, &contact)
	if err != nil && !isInvalid(err) { // a sender with no identity still gets a ticket, without a contact
		return c.fail(ctx, "upsert contact", err)
	}
	c.state.ContactID = contact.ContactID
	ticket, outcome, err := c.createTicket(ctx, msg, contact)
	if err != nil {
		return err
	}
	if !ticket.Created && ticket.RoutingState != "" && ticket.RoutingState != domain.RoutingRouting {
		return c.carryOn(ctx, ticket)
	}
	c.state.TicketID, c.state.Status, c.state.Routing = ticket.TicketID, ticket.Status, ticket.Routing
	c.state.RequiredSkills = outcome.RequiredSkills
	if err := workflow.UpsertTypedSearchAttributes(ctx, TicketIDKey.ValueSet(ticket.TicketID)); err != nil {
		return fmt.Errorf("upsert ticket id: %w", err)
	}
	if err := c.welcomeNew(ctx); err != nil {
		return err
	}
	return c.route(ctx, "")
}

// createTicket evaluates the rules on the first message, then creates the
// ticket by their outcome (histories from before changeOpenAtOnce).
func (c *conversation) createTicket(ctx workflow.Context, msg InboundMessage, contact activities.ResolvedContact) (activities.TicketCreated, activities.RulesOutcome, error) {
	var outcome activities.RulesOutcome
	err := workflow.ExecuteActivity(ctx, a.EvaluateRules, activities.EvaluateRulesInput{
		AccountID: c.in.AccountID, ChannelID: c.in.ChannelID, MessageID: msg.MessageID,
		ContactID: contact.ContactID, ContactIsNew: contact.IsNew,
	}).Get(ctx, &outcome)
	if err != nil {
		return activities.TicketCreated{}, outcome, c.fail(ctx, "evaluate rules", err)
	}
	var ticket activities.TicketCreated
	err = workflow.ExecuteActivity(ctx, a.CreateTicket, activities.CreateTicketInput{
		AccountID: c.in.AccountID, ChannelID: c.in.ChannelID, ConversationID: c.in.ConversationID,
		ContactID: contact.ContactID, MessageID: msg.MessageID, Rules: &outcome,
	}).Get(ctx, &ticket)
	if err != nil {
		return ticket, outcome, c.fail(ctx, "create ticket", err)
	}
	return ticket, outcome, nil
}

// carryOn takes over a ticket an earlier run of this conversation made and
// routed, reopening it when it was closed.
func (c *conversation) carryOn(ctx workflow.Context, t activities.TicketCreated) error {
	if err := c.resume(ctx, t); err != nil {
		return err
	}
	if c.reopensOnMessage(ctx) {
		return c.reopenOnMessage(ctx)
	}
	return nil
}

// welcomeNew sends a new conversation's automated first messages on a channel that has them.
func (c *conversation) welcomeNew(ctx workflow.Context) error {
	if c.traits().Welcome && workflow.GetVersion(ctx, changeWelcome, workflow.DefaultVersion, 1) == 1 {
		return c.welcome(ctx)
	}
	return nil
}

// opensNow reports whether the first message is waiting to open the ticket
// (since changeOpenAtOnce): the loop then starts no idle timer only to
// cancel it in the same workflow task, two history events that carry nothing.
// The version is decided here, in the workflow task that opens the ticket.
func (c *conversation) opensNow(ctx workflow.Context) bool {
	return c.state.TicketID == "" && c.inbound.Len() > 0 &&
		workflow.GetVersion(ctx, changeOpenAtOnce, workflow.DefaultVersion, 1) == 1
}
