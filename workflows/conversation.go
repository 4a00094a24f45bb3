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
	if err := c.loadTicket(ctx); err != nil {
		return ctx, err
	}
	if c.state.RoutingState == domain.RoutingWaitingForAgent && c.state.WaitUntil != nil {
		c.armWaitTimer(ctx, c.state.WaitUntil.Sub(workflow.Now(ctx)))
	}
	if next := c.nextWindowChange(); next != nil {
		c.armWindowTimer(ctx, next.Sub(workflow.Now(ctx)))
	}
	c.inbound = workflow.GetSignalChannel(ctx, SignalInboundMessage)
	c.assigned = workflow.GetSignalChannel(ctx, SignalAgentAssigned)
	c.attached = workflow.GetSignalChannel(ctx, SignalTicketAttached)
	c.removed = workflow.GetSignalChannel(ctx, SignalAssigneeRemoved)
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
	return c.resume(ctx, t)
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
	case c.state.Status == domain.TicketStatusClosed:
		err = c.reopen(ctx)
	}
	if err != nil || c.state.TicketID == "" {
		return err
	}
	return c.customerWrote(ctx)
}

// welcome sends a new Messenger conversation's automated first messages
// (instant reply, consent notice) beside the conversation, bounded: routing
// and the reply window do not wait for them. Once their retries run out the
// messages are marked failed with the reason.
func (c *conversation) welcome(ctx workflow.Context) error {
	in := activities.WelcomeInput{
		AccountID: c.in.AccountID, ChannelID: c.in.ChannelID, ConversationID: c.in.ConversationID, ContactID: c.state.ContactID,
	}
	if workflow.GetVersion(ctx, changeCourtesyBeside, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		if err := workflow.ExecuteActivity(ctx, a.Welcome, in).Get(ctx, nil); err != nil { // histories from before: awaited
			return c.fail(ctx, "welcome", err)
		}
		return nil
	}
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

// route applies the channel's assignment mode; preferUser (a reopened
// ticket's previous agent) is tried first.
func (c *conversation) route(ctx workflow.Context, preferUser string) error {
	if workflow.GetVersion(ctx, changeAssignment, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return c.setRoutingState(ctx, domain.RoutingUnassigned, "") // histories from before assignment existed
	}
	var res activities.RouteResult
	err := workflow.ExecuteActivity(ctx, a.Route, activities.RouteInput{
		AccountID: c.in.AccountID, TicketID: c.state.TicketID, ContactID: c.state.ContactID,
		Routing: c.state.Routing, RequiredSkills: c.state.RequiredSkills, PreferUser: preferUser,
	}).Get(ctx, &res)
	if err != nil {
		return c.fail(ctx, "route", err)
	}
	return c.routed(ctx, res)
}

// routed follows where routing left the ticket; also are further search
// attributes to set in the same upsert as the routing state.
func (c *conversation) routed(ctx workflow.Context, res activities.RouteResult, also ...temporal.SearchAttributeUpdate) error {
	if res.OwnerUnavailable != "" && workflow.GetVersion(ctx, changeNotifyOwner, workflow.DefaultVersion, 1) == 1 {
		// Sent alongside the wait, not before it: an SMTP server that is down must not hold up the conversation.
		notification := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, notifyOptions), a.NotifyOwner, activities.NotifyOwnerInput{
			AccountID: c.in.AccountID, TicketID: c.state.TicketID, OwnerUserID: res.OwnerUnavailable,
		})
		c.pending = append(c.pending, besideTask{what: "owner notification", future: notification})
	}
	switch res.State {
	case domain.RoutingAssigned:
		return c.assignedTo(ctx, res.UserID, also...)
	case domain.RoutingWaitingForAgent:
		now := workflow.Now(ctx)
		c.state.WaitingSince = &now
		timeout := time.Duration(c.state.Routing.WithDefaults().TimeoutSeconds) * time.Second
		until := now.Add(timeout)
		c.state.WaitUntil = &until
		c.armWaitTimer(ctx, timeout)
	}
	return c.showRouting(ctx, res.State, "", also...)
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

// armWaitTimer starts the durable timer of the wait for an agent.
func (c *conversation) armWaitTimer(ctx workflow.Context, d time.Duration) {
	if d < time.Millisecond {
		d = time.Millisecond
	}
	timerCtx, cancel := workflow.WithCancel(ctx)
	c.waitTimer, c.cancelWait = workflow.NewTimer(timerCtx, d), cancel
}

// stopWaitTimer forgets the wait for an agent.
func (c *conversation) stopWaitTimer() {
	if c.cancelWait != nil {
		c.cancelWait()
	}
	c.waitTimer, c.cancelWait = nil, nil
	c.state.WaitingSince, c.state.WaitUntil = nil, nil
}

// assignedTo records that userID has the ticket; also are further search attributes to set.
func (c *conversation) assignedTo(ctx workflow.Context, userID string, also ...temporal.SearchAttributeUpdate) error {
	c.stopWaitTimer()
	return c.showRouting(ctx, domain.RoutingAssigned, userID, also...)
}

// showRouting keeps the query state and search attributes in step with the
// ticket; also are further search attributes to set in the same upsert.
func (c *conversation) showRouting(ctx workflow.Context, state, userID string, also ...temporal.SearchAttributeUpdate) error {
	c.state.RoutingState, c.state.AssigneeID = state, userID
	assignee := AssigneeIDKey.ValueSet(userID)
	if userID == "" {
		assignee = AssigneeIDKey.ValueUnset()
	}
	updates := append([]temporal.SearchAttributeUpdate{RoutingStateKey.ValueSet(state), assignee}, also...)
	if since := c.waitingSince(ctx, state); since != nil {
		updates = append(updates, since)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		return fmt.Errorf("upsert routing state: %w", err)
	}
	c.describe(ctx)
	return nil
}

// onAgentAssigned handles a dispatch that gave the waiting ticket an agent.
func (c *conversation) onAgentAssigned(ctx workflow.Context, userID string) error {
	if userID == "" || c.state.AssigneeID == userID {
		return nil
	}
	return c.assignedTo(ctx, userID)
}

// onAssigneeRemoved follows PostgreSQL when the ticket's agent was deleted:
// no assignee, and an assigned ticket becomes unassigned.
func (c *conversation) onAssigneeRemoved(ctx workflow.Context, userID string) error {
	if userID == "" || c.state.AssigneeID != userID {
		return nil
	}
	state := c.state.RoutingState
	if state == domain.RoutingAssigned {
		state = domain.RoutingUnassigned
	}
	return c.showRouting(ctx, state, "")
}

// onWaitOver ends the wait for an agent: the ticket stays in its queue, unassigned.
func (c *conversation) onWaitOver(ctx workflow.Context) error {
	if c.state.RoutingState != domain.RoutingWaitingForAgent {
		c.stopWaitTimer() // cancelled by an update that settled the ticket
		return nil
	}
	var user string
	err := workflow.ExecuteActivity(ctx, a.StopWaiting, activities.TicketRef{AccountID: c.in.AccountID, TicketID: c.state.TicketID}).Get(ctx, &user)
	if err != nil {
		return c.fail(ctx, "stop waiting", err)
	}
	if user != "" {
		return c.assignedTo(ctx, user)
	}
	c.stopWaitTimer()
	return c.showRouting(ctx, domain.RoutingUnassigned, "")
}

// reopen opens a closed ticket again on a new customer message: back to its
// previous agent if they are available and have room, else through routing.
func (c *conversation) reopen(ctx workflow.Context) error {
	var prev string
	err := workflow.ExecuteActivity(ctx, a.Reopen, activities.TicketRef{AccountID: c.in.AccountID, TicketID: c.state.TicketID}).Get(ctx, &prev)
	if err != nil {
		return c.fail(ctx, "reopen", err)
	}
	c.state.Status = "open"
	return c.route(ctx, prev)
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
