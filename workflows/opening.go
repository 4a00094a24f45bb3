package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
)

// openTicket finds the contact, creates the ticket and routes it. changeOpenAtOnce is
// retired: a history from before it (four activities) fails here with a non-determinism error.
func (c *conversation) openTicket(ctx workflow.Context, msg InboundMessage) error {
	workflow.GetVersion(ctx, changeOpenAtOnce, 1, 1) // recorded by opensNow first, as before
	return c.openAtOnce(ctx, msg)
}

// openAtOnce opens the conversation: the contact, the rules,
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
		return c.carryOn(ctx, o.Ticket, msg.MessageID)
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

// carryOn takes over a ticket an earlier run of this conversation made and
// routed, reopening it as the lifecycle says or opening its follow-up when it was closed.
func (c *conversation) carryOn(ctx workflow.Context, t activities.TicketCreated, messageID string) error {
	if err := c.resume(ctx, t); err != nil {
		return err
	}
	if c.followsUp(ctx) {
		return c.openFollowUp(ctx, messageID)
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
		workflow.GetVersion(ctx, changeOpenAtOnce, 1, 1) == 1 // retired: recorded, and checked on replay
}
