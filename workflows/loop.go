package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// eventKind is what woke the conversation up.
type eventKind int

const (
	messageArrived eventKind = iota + 1
	agentAssigned
	ticketAttached
	assigneeRemoved
	waitOver
	windowDue
	idled
	solvedDue
	slaDue
	slaRecheck
	woken
	csatDue
)

// event is one thing the conversation takes in: a signal with its payload, or a timer that fired.
type event struct {
	kind     eventKind
	message  InboundMessage
	agent    AgentAssigned
	attached TicketAttached
	removed  AssigneeRemoved
}

// next waits for the conversation's next event. The idle timer runs only
// while no other timer is due and no first message waits to open the ticket.
func (c *conversation) next(ctx workflow.Context) event {
	c.describe(ctx) // the Temporal UI's current details (summary.go)
	opening := c.opensNow(ctx)
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	var ev event
	sel := workflow.NewSelector(ctx)
	c.listen(ctx, sel, &ev)
	c.watchTimers(timerCtx, sel, &ev, opening)
	sel.Select(ctx)
	return ev
}

// listen adds the conversation's signals to sel; the one received becomes ev.
func (c *conversation) listen(ctx workflow.Context, sel workflow.Selector, ev *event) {
	sel.AddReceive(c.inbound, func(ch workflow.ReceiveChannel, _ bool) { ch.Receive(ctx, &ev.message); ev.kind = messageArrived }).
		AddReceive(c.assigned, func(ch workflow.ReceiveChannel, _ bool) { ch.Receive(ctx, &ev.agent); ev.kind = agentAssigned }).
		AddReceive(c.removed, func(ch workflow.ReceiveChannel, _ bool) { ch.Receive(ctx, &ev.removed); ev.kind = assigneeRemoved }).
		AddReceive(c.wake, func(ch workflow.ReceiveChannel, _ bool) { var woke bool; ch.Receive(ctx, &woke); ev.kind = woken })
	if c.state.SLA != nil {
		sel.AddReceive(c.recheck, func(ch workflow.ReceiveChannel, _ bool) { ch.Receive(ctx, nil); ev.kind = slaRecheck })
	}
	if c.ticketOnly() { // only a ticket's own workflow is ever told so
		sel.AddReceive(c.attached, func(ch workflow.ReceiveChannel, _ bool) { ch.Receive(ctx, &ev.attached); ev.kind = ticketAttached })
	}
}

// watchTimers adds the timers that are due to sel; the one that fires becomes ev.
// The idle timer, started in timerCtx, is cancelled when another event comes first.
func (c *conversation) watchTimers(timerCtx workflow.Context, sel workflow.Selector, ev *event, opening bool) {
	if c.windowTimer != nil {
		sel.AddFuture(c.windowTimer, func(workflow.Future) { ev.kind = windowDue })
	}
	if c.closeTimer != nil {
		sel.AddFuture(c.closeTimer, func(workflow.Future) { ev.kind = solvedDue })
	}
	if c.slaTimer != nil {
		sel.AddFuture(c.slaTimer, func(workflow.Future) { ev.kind = slaDue })
	}
	if c.csatTimer != nil {
		sel.AddFuture(c.csatTimer, func(workflow.Future) { ev.kind = csatDue })
	}
	if c.waitTimer != nil {
		sel.AddFuture(c.waitTimer, func(workflow.Future) { ev.kind = waitOver })
	} else if c.windowTimer == nil && c.closeTimer == nil && c.csatTimer == nil && !opening { // an idle conversation ends only once its window has settled
		sel.AddFuture(workflow.NewTimer(timerCtx, c.idle), func(workflow.Future) { ev.kind = idled })
	}
}

// apply handles one event; ended says the run is over (err is then its outcome).
func (c *conversation) apply(ctx workflow.Context, ev event) (ended bool, err error) {
	switch ev.kind {
	case messageArrived:
		return false, c.handleAll(ctx, ev.message)
	case agentAssigned:
		return false, c.onAgentAssigned(ctx, ev.agent.UserID)
	case ticketAttached:
		return true, c.handOver(ctx, ev.attached)
	case assigneeRemoved:
		return false, c.onAssigneeRemoved(ctx, ev.removed.UserID)
	case waitOver:
		return false, c.onWaitOver(ctx)
	case windowDue:
		return false, c.onWindowTimer(ctx)
	case idled:
		return c.onIdle(ctx)
	case solvedDue:
		return false, c.onSolvedDue(ctx)
	case slaDue:
		return false, c.onSLADue(ctx)
	case slaRecheck:
		return false, c.slaChoose(ctx)
	case woken: // an update armed a timer: the next wait includes it
		return false, nil
	case csatDue:
		return false, c.onCSATDue(ctx)
	}
	return false, nil
}

// handleAll handles msg and every message already waiting behind it.
func (c *conversation) handleAll(ctx workflow.Context, msg InboundMessage) error {
	err := c.handle(ctx, msg)
	for err == nil && c.inbound.ReceiveAsync(&msg) {
		err = c.handle(ctx, msg)
	}
	return err
}

// onIdle ends a conversation that was quiet for its idle timeout, unless a
// message arrived as the timer fired: that one is handled instead.
func (c *conversation) onIdle(ctx workflow.Context) (bool, error) {
	var msg InboundMessage
	if c.inbound.ReceiveAsync(&msg) {
		return false, c.handle(ctx, msg)
	}
	return c.endOrContinue(ctx, complete)
}

// ending is how a run ends once its work has settled.
type ending int

const (
	complete      ending = iota // the conversation idled out; a later message starts a new run
	continueAsNew               // the history is long; the next run carries the state over
)

// continueDue reports whether the history is long enough to continue as new;
// with a send or courtesy message still running beside it, a later event does.
func (c *conversation) continueDue(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	limit := c.in.ContinueAsNewAfter
	if limit <= 0 {
		limit = continueAsNewAfter
	}
	return (info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > limit) && !c.busyBeside()
}

// endOrContinue finishes the work beside the conversation and running updates,
// then handles a message that arrived meanwhile (the run goes on) or ends the run as how says.
func (c *conversation) endOrContinue(ctx workflow.Context, how ending) (ended bool, err error) {
	if err := c.settle(ctx); err != nil {
		return true, err
	}
	var msg InboundMessage
	if c.drains(ctx) && c.inbound.ReceiveAsync(&msg) {
		return false, c.handle(ctx, msg)
	}
	if how == complete {
		return true, nil
	}
	next := c.in
	state := c.state
	next.State = &state
	return true, workflow.NewContinueAsNewError(ctx, ConversationWorkflow, next)
}
