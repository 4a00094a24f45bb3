package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// DefaultIdleTimeout ends a conversation workflow after 30 days without a
// message; a later message starts a new run on the same id and ticket.
const DefaultIdleTimeout = 30 * 24 * time.Hour

// continueAsNewAfter is the history length past which the workflow continues as new.
const continueAsNewAfter = 2000

// maxSeen is how many recent message ids the workflow remembers to drop redeliveries.
const maxSeen = 100

// activityOptions retry store writes for as long as a day: a database that
// is down delays a conversation, it never loses one.
var activityOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    30 * time.Second,
	ScheduleToCloseTimeout: 24 * time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		NonRetryableErrorTypes: []string{activities.ErrTypeNotFound, activities.ErrTypeInvalid},
	},
}

// a is only used to name activity methods; the worker registers the real one.
var a *activities.Activities

// ConversationWorkflow is one inbound conversation: it finds the contact,
// creates the ticket and routes it, then follows the conversation's messages.
func ConversationWorkflow(ctx workflow.Context, in ConversationInput) error {
	c := &conversation{in: in, state: ConversationState{ConversationID: in.ConversationID, RoutingState: domain.RoutingRouting, ReplyWindow: domain.WindowNone}}
	if in.State != nil {
		c.state = *in.State
	}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (ConversationState, error) {
		return c.state, nil
	}); err != nil {
		return fmt.Errorf("register state query: %w", err)
	}
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	if err := c.upsertIdentity(ctx); err != nil {
		return err
	}

	idle := in.IdleTimeout
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	inbound := workflow.GetSignalChannel(ctx, SignalInboundMessage)
	for {
		var msg InboundMessage
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		idleTimer := workflow.NewTimer(timerCtx, idle)
		idled := false
		workflow.NewSelector(ctx).
			AddReceive(inbound, func(ch workflow.ReceiveChannel, _ bool) { ch.Receive(ctx, &msg) }).
			AddFuture(idleTimer, func(workflow.Future) { idled = true }).
			Select(ctx)
		cancelTimer()
		if idled {
			// A message may have arrived as the timer fired: handle it rather than drop it.
			if !inbound.ReceiveAsync(&msg) {
				return nil
			}
		}
		if err := c.handle(ctx, msg); err != nil {
			return err
		}
		for inbound.ReceiveAsync(&msg) {
			if err := c.handle(ctx, msg); err != nil {
				return err
			}
		}
		info := workflow.GetInfo(ctx)
		if info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > continueAsNewAfter {
			next := in
			state := c.state
			next.State = &state
			return workflow.NewContinueAsNewError(ctx, ConversationWorkflow, next)
		}
	}
}

type conversation struct {
	in    ConversationInput
	state ConversationState
}

// upsertIdentity makes sure the workflow carries the search attributes that
// identify it, whoever started it.
func (c *conversation) upsertIdentity(ctx workflow.Context) error {
	sa := workflow.GetTypedSearchAttributes(ctx)
	if _, ok := sa.GetKeyword(ChannelIDKey); ok {
		return nil
	}
	err := workflow.UpsertTypedSearchAttributes(ctx,
		ChannelTypeKey.ValueSet(c.in.ChannelType),
		ChannelIDKey.ValueSet(c.in.ChannelID),
		AccountIDKey.ValueSet(c.in.AccountID),
		RoutingStateKey.ValueSet(c.state.RoutingState),
	)
	if err != nil {
		return fmt.Errorf("upsert search attributes: %w", err)
	}
	return nil
}

func (c *conversation) seen(id string) bool {
	for _, s := range c.state.Seen {
		if s == id {
			return true
		}
	}
	return false
}

func (c *conversation) remember(id string) {
	c.state.Seen = append(c.state.Seen, id)
	if len(c.state.Seen) > maxSeen {
		c.state.Seen = c.state.Seen[len(c.state.Seen)-maxSeen:]
	}
}

// handle processes one inbound message; a redelivered one is ignored.
func (c *conversation) handle(ctx workflow.Context, msg InboundMessage) error {
	if msg.MessageID == "" || c.seen(msg.MessageID) {
		return nil
	}
	c.remember(msg.MessageID)
	c.state.MessageCount++
	c.state.LastMessageAt = workflow.Now(ctx)
	if c.state.TicketID != "" {
		return nil
	}
	return c.openTicket(ctx, msg)
}

// openTicket finds the contact, creates the ticket and routes it.
func (c *conversation) openTicket(ctx workflow.Context, msg InboundMessage) error {
	var contact struct {
		ContactID string `json:"contact_id"`
		IsNew     bool   `json:"is_new"`
	}
	err := workflow.ExecuteActivity(ctx, a.UpsertContact, activities.UpsertContactInput{
		AccountID: c.in.AccountID, ChannelID: c.in.ChannelID, MessageID: msg.MessageID,
	}).Get(ctx, &contact)
	if err != nil && !isInvalid(err) { // a sender with no identity still gets a ticket, without a contact
		return c.fail(ctx, "upsert contact", err)
	}
	c.state.ContactID = contact.ContactID

	var outcome activities.RulesOutcome
	err = workflow.ExecuteActivity(ctx, a.EvaluateRules, activities.EvaluateRulesInput{
		AccountID: c.in.AccountID, ChannelID: c.in.ChannelID, MessageID: msg.MessageID,
		ContactID: contact.ContactID, ContactIsNew: contact.IsNew,
	}).Get(ctx, &outcome)
	if err != nil {
		return c.fail(ctx, "evaluate rules", err)
	}

	var ticket activities.TicketCreated
	err = workflow.ExecuteActivity(ctx, a.CreateTicket, activities.CreateTicketInput{
		AccountID: c.in.AccountID, ChannelID: c.in.ChannelID, ConversationID: c.in.ConversationID,
		ContactID: contact.ContactID, MessageID: msg.MessageID, Rules: &outcome,
	}).Get(ctx, &ticket)
	if err != nil {
		return c.fail(ctx, "create ticket", err)
	}
	c.state.TicketID = ticket.TicketID
	if err := workflow.UpsertTypedSearchAttributes(ctx, TicketIDKey.ValueSet(ticket.TicketID)); err != nil {
		return fmt.Errorf("upsert ticket id: %w", err)
	}
	return c.route(ctx, ticket.Routing)
}

// route applies the channel's assignment mode. Assignment to agents is not
// built yet: every mode leaves the ticket unassigned in its queue.
func (c *conversation) route(ctx workflow.Context, _ domain.Routing) error {
	return c.setRoutingState(ctx, domain.RoutingUnassigned, "")
}

func (c *conversation) setRoutingState(ctx workflow.Context, state, event string) error {
	err := workflow.ExecuteActivity(ctx, a.SetRoutingState, activities.RoutingStateInput{
		AccountID: c.in.AccountID, TicketID: c.state.TicketID, State: state, Event: event,
	}).Get(ctx, nil)
	if err != nil {
		return c.fail(ctx, "set routing state", err)
	}
	c.state.RoutingState = state
	if err := workflow.UpsertTypedSearchAttributes(ctx, RoutingStateKey.ValueSet(state)); err != nil {
		return fmt.Errorf("upsert routing state: %w", err)
	}
	return nil
}

// fail ends the workflow on a permanent activity failure (its channel was
// deleted, say); transient ones never reach here, they are retried.
func (c *conversation) fail(ctx workflow.Context, step string, err error) error {
	workflow.GetLogger(ctx).Error("conversation failed", "step", step, "error", err)
	return fmt.Errorf("%s: %w", step, err)
}

func isInvalid(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeInvalid
}
