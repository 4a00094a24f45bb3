package workflows

import (
	"fmt"
	"time"

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

// a is only used to name activity methods; the worker registers the real one.
var a *activities.Activities

// ConversationWorkflow is one inbound conversation: it finds the contact,
// creates the ticket and routes it, waits for an agent when none is free,
// takes agents' replies and changes as updates, and follows the
// conversation's messages (reopening a closed ticket). It takes one event at
// a time (loop.go) until it idles out, hands its ticket over or continues as new.
func ConversationWorkflow(ctx workflow.Context, in ConversationInput) error {
	c := newConversation(in)
	ctx, err := c.setup(ctx)
	if err != nil {
		return err
	}
	for {
		ended, err := c.apply(ctx, c.next(ctx))
		if ended || err != nil {
			return err
		}
		if c.continueDue(ctx) {
			if ended, err := c.endOrContinue(ctx, continueAsNew); ended || err != nil {
				return err
			}
		}
	}
}

type conversation struct {
	in    ConversationInput
	state ConversationState
	// idle ends the run after this long without an event.
	idle time.Duration
	// The signals the conversation takes.
	inbound, assigned, attached, removed workflow.ReceiveChannel
	// waitTimer fires when the wait for an agent times out; nil when not waiting.
	waitTimer  workflow.Future
	cancelWait workflow.CancelFunc
	// windowTimer fires at the reply window's next transition; nil when none is due.
	windowTimer  workflow.Future
	cancelWindow workflow.CancelFunc
	// closeTimer fires when a solved ticket's window is over (lifecycle.go); nil unless solved.
	closeTimer  workflow.Future
	cancelClose workflow.CancelFunc
	// slaTimer fires at the SLA's next warning or breach (sla.go); nil when none is due.
	slaTimer  workflow.Future
	cancelSLA workflow.CancelFunc
	// csatTimer fires when a solved ticket's survey invitation is due (csat.go); nil when none waits.
	csatTimer  workflow.Future
	cancelCSAT workflow.CancelFunc
	// recheck takes SignalSLARecheck (SLA runs only).
	recheck workflow.ReceiveChannel
	// wake lets an update handler that armed a timer wake the loop, which then waits on it too.
	wake workflow.Channel
	// pending is the work running beside the conversation: owner
	// notifications, courtesy messages, replies' sends.
	pending []besideTask
}

// newConversation is the conversation's state at the start of a run: carried
// over by continue-as-new, or new.
func newConversation(in ConversationInput) *conversation {
	c := &conversation{in: in, idle: in.IdleTimeout,
		state: ConversationState{ConversationID: in.ConversationID, RoutingState: domain.RoutingRouting, ReplyWindow: domain.WindowNone}}
	if in.State != nil {
		c.state = *in.State
	} else if in.TicketID != "" {
		// Known from the start (it issues no command): the agent's action this run was started
		// for is taken rather than refused while the ticket loads.
		c.state.TicketID = in.TicketID
	}
	if c.idle <= 0 {
		c.idle = DefaultIdleTimeout
	}
	return c
}

// setup registers the query and the updates, identifies the workflow, loads
// the ticket the run was started for and re-arms the timers carried over; it
// returns the context of the store activities.
func (c *conversation) setup(ctx workflow.Context) (workflow.Context, error) {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (ConversationState, error) {
		return c.state, nil
	}); err != nil {
		return ctx, fmt.Errorf("register state query: %w", err)
	}
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	if err := c.registerUpdates(ctx); err != nil {
		return ctx, err
	}
	if err := c.upsertIdentity(ctx); err != nil {
		return ctx, err
	}
	c.lifecycle(ctx) // decided once, as the run starts
	c.slaOn(ctx)     // likewise
	c.csatOn(ctx)    // likewise
	if err := c.loadTicket(ctx); err != nil {
		return ctx, err
	}
	if c.state.RoutingState == domain.RoutingWaitingForAgent && c.state.WaitUntil != nil {
		c.armWaitTimer(ctx, c.state.WaitUntil.Sub(workflow.Now(ctx)))
	}
	if next := c.nextWindowChange(); next != nil {
		c.armWindowTimer(ctx, next.Sub(workflow.Now(ctx)))
	}
	if c.state.CloseAt != nil && c.state.Status == domain.TicketStatusSolved {
		c.armCloseTimer(ctx, *c.state.CloseAt)
	}
	if c.state.CSATAt != nil {
		c.armCSATTimer(ctx, *c.state.CSATAt)
	}
	c.wake = workflow.NewChannel(ctx)
	if err := c.slaResume(ctx); err != nil {
		return ctx, err
	}
	c.inbound = workflow.GetSignalChannel(ctx, SignalInboundMessage)
	c.assigned = workflow.GetSignalChannel(ctx, SignalAgentAssigned)
	c.attached = workflow.GetSignalChannel(ctx, SignalTicketAttached)
	c.removed = workflow.GetSignalChannel(ctx, SignalAssigneeRemoved)
	c.recheck = workflow.GetSignalChannel(ctx, SignalSLARecheck)
	return ctx, nil
}

// loadTicket takes over the existing ticket a first run was started for (an
// agent acts on a conversation whose workflow had ended, or a ticket's own workflow).
func (c *conversation) loadTicket(ctx workflow.Context) error {
	if c.in.State != nil || c.in.TicketID == "" {
		return nil
	}
	var t activities.TicketCreated
	if err := workflow.ExecuteActivity(ctx, a.LoadTicket, activities.TicketRef{AccountID: c.in.AccountID, TicketID: c.in.TicketID}).Get(ctx, &t); err != nil {
		return c.fail(ctx, "load ticket", err)
	}
	if err := c.resume(ctx, t); err != nil {
		return err
	}
	return c.slaChoose(ctx)
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
	var err error
	switch {
	case c.state.TicketID == "":
		err = c.openTicket(ctx, msg)
	case c.followsUp(ctx):
		err = c.openFollowUp(ctx, msg.MessageID)
	case c.reopensOnMessage(ctx):
		err = c.reopenOnMessage(ctx)
	}
	if err != nil || c.state.TicketID == "" {
		return err
	}
	if err := c.customerWrote(ctx); err != nil {
		return err
	}
	return c.slaCustomerWrote(ctx)
}

// welcome sends a new Messenger conversation's automated first messages
// (instant reply, consent notice) beside the conversation, bounded: routing
// and the reply window do not wait for them. Once their retries run out the
// messages are marked failed with the reason.
func (c *conversation) welcome(ctx workflow.Context) error {
	in := activities.WelcomeInput{
		AccountID: c.in.AccountID, ChannelID: c.in.ChannelID, ConversationID: c.in.ConversationID, ContactID: c.state.ContactID,
	}
	workflow.GetVersion(ctx, changeCourtesyBeside, 1, 1) // retired: recorded, and checked on replay
	sent := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, courtesyOptions), a.Welcome, in)
	c.beside(ctx, "welcome", func(ctx workflow.Context) error {
		err := sent.Get(ctx, nil)
		if err != nil {
			ferr := workflow.ExecuteActivity(ctx, a.FailWelcome, activities.FailWelcomeInput{
				AccountID: c.in.AccountID, ConversationID: c.in.ConversationID, Reason: failureReason(err),
			}).Get(ctx, nil)
			if ferr != nil {
				workflow.GetLogger(ctx).Error("could not mark the courtesy messages failed", "error", ferr)
			}
		}
		return err
	})
	return nil
}

// resume takes over an existing ticket's state from an earlier run.
func (c *conversation) resume(ctx workflow.Context, t activities.TicketCreated) error {
	c.state.TicketID, c.state.Status, c.state.Routing = t.TicketID, t.Status, t.Routing
	c.state.RequiredSkills = t.RequiredSkills
	if t.ContactID != "" {
		c.state.ContactID = t.ContactID
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, TicketIDKey.ValueSet(t.TicketID)); err != nil {
		return fmt.Errorf("upsert ticket id: %w", err)
	}
	if err := c.showStatus(ctx); err != nil {
		return err
	}
	state := t.RoutingState
	if state == domain.RoutingWaitingForAgent {
		// The earlier run ended while the ticket waited; wait again for the channel's timeout.
		return c.route(ctx, "")
	}
	if state == domain.RoutingRouting && c.ticketOnly() {
		workflow.GetVersion(ctx, changeTicketOnly, 1, 1) // retired: recorded, and checked on replay
		return c.route(ctx, "")                          // a ticket without a channel, routed by its own workflow
	}
	return c.showRouting(ctx, state, t.AssigneeID)
}

// ticketOnly reports whether the workflow is a ticket's own, without a channel or conversation.
func (c *conversation) ticketOnly() bool {
	return c.in.ChannelID == "" && c.in.TicketID != ""
}

// drains reports whether this run handles messages that arrive while it
// settles: always, since changeDrainBeforeEnd retired (a history from before it
// fails here with a non-determinism error).
func (c *conversation) drains(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeDrainBeforeEnd, 1, 1) == 1
}

// fail ends the workflow on a permanent activity failure (its channel was
// deleted, say); transient ones never reach here, they are retried.
func (c *conversation) fail(ctx workflow.Context, step string, err error) error {
	workflow.GetLogger(ctx).Error("conversation failed", "step", step, "error", err)
	return fmt.Errorf("%s: %w", step, err)
}

// nextWindowChange is when the carried-over reply window changes next, if it does.
func (c *conversation) nextWindowChange() *time.Time {
	switch c.state.ReplyWindow {
	case domain.WindowOpen:
		return c.state.OpenUntil
	case domain.WindowHumanAgentOnly:
		return c.state.HumanAgentUntil
	}
	return nil
}
