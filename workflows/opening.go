package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

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
		// An earlier run of this conversation made and routed the ticket; carry on from there.
		if err := c.resume(ctx, o.Ticket); err != nil {
			return err
		}
		if c.state.Status == domain.TicketStatusClosed {
			return c.reopen(ctx)
		}
		return nil
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
	if c.traits().Welcome && workflow.GetVersion(ctx, changeWelcome, workflow.DefaultVersion, 1) == 1 {
		if err := c.welcome(ctx); err != nil {
			return err
		}
	}
	return c.routed(ctx, *o.Route, TicketIDKey.ValueSet(t.TicketID))
}

// opensNow reports whether the first message is waiting to open the ticket
// (since changeOpenAtOnce): the loop then starts no idle timer only to
// cancel it in the same workflow task, two history events that carry nothing.
// The version is decided here, in the workflow task that opens the ticket.
func (c *conversation) opensNow(ctx workflow.Context, inbound workflow.ReceiveChannel) bool {
	return c.state.TicketID == "" && inbound.Len() > 0 &&
		workflow.GetVersion(ctx, changeOpenAtOnce, workflow.DefaultVersion, 1) == 1
}
