package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// registerUpdates installs the agents' actions: replies and ticket changes.
// Their validators reject bad requests before anything is written to history.
func (c *conversation) registerUpdates(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReply, c.replyOnClock,
		workflow.UpdateHandlerOptions{Validator: c.validateReply}); err != nil {
		return fmt.Errorf("register reply update: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateChange, c.change,
		workflow.UpdateHandlerOptions{Validator: c.validateChange}); err != nil {
		return fmt.Errorf("register change update: %w", err)
	}
	return nil
}

// ErrNoTicket rejects an agent action on a conversation whose ticket does not exist yet.
var ErrNoTicket = errors.New("the conversation has no ticket yet")

// ErrNoChannel rejects a reply in the workflow of a ticket without a channel: a reply names the channel to open a thread on.
var ErrNoChannel = errors.New("the ticket has no channel yet: reply with a channel_id to open its conversation")

func (c *conversation) validateReply(_ workflow.Context, r ReplyRequest) error {
	if c.state.TicketID == "" {
		return ErrNoTicket
	}
	if c.ticketOnly() {
		return ErrNoChannel
	}
	if r.Template != nil {
		if !c.traits().Templates() {
			return errors.New("templates are sent on WhatsApp channels only")
		}
		if r.Template.Name == "" || r.Template.Language == "" {
			return errors.New("a template needs a name and a language")
		}
	} else if strings.TrimSpace(r.Text) == "" && strings.TrimSpace(r.HTML) == "" && len(r.Attachments) == 0 {
		return errors.New("a reply needs text or html (or files)")
	}
	_, err := c.replyTag(r)
	return err
}

// ReplyWait is how long a reply update waits for its send before it answers
// with the reply queued; the send goes on beside the conversation. A send that
// is refused or done within it answers with its outcome.
const ReplyWait = 5 * time.Second

// reply stores the agent's reply and sends it on the conversation's channel.
func (c *conversation) reply(ctx workflow.Context, r ReplyRequest) (ReplyResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the bare root context
	tag, err := c.replyTag(r)                                // the window may have moved since validation
	if err != nil {
		return ReplyResult{}, err
	}
	in := activities.ReplyInput{
		AccountID: c.in.AccountID, ChannelID: c.in.ChannelID, ChannelType: c.in.ChannelType,
		ConversationID: c.in.ConversationID, TicketID: c.state.TicketID,
		ReplyID: workflow.GetCurrentUpdateInfo(ctx).ID, AuthorUserID: r.AuthorUserID, Text: r.Text, HTML: r.HTML, Tag: tag, Template: r.Template,
		SendChannelID: r.ChannelID, SendChannelType: r.ChannelType, Attachments: r.Attachments,
	}
	if workflow.GetVersion(ctx, changeDurableReply, workflow.DefaultVersion, 1) == 1 {
		return c.deliverReply(ctx, in)
	}
	workflow.GetVersion(ctx, changeBoundedReply, 1, 1) // retired: recorded, and checked on replay
	return c.sendReply(ctx, in)
}

// replyOnClock is reply, then the SLA's response clocks stop (slaclock.go).
func (c *conversation) replyOnClock(ctx workflow.Context, r ReplyRequest) (ReplyResult, error) {
	res, err := c.reply(ctx, r)
	if err != nil {
		return res, err
	}
	return res, c.slaAgentReplied(workflow.WithActivityOptions(ctx, activityOptions))
}

// sendReply stores the reply, then sends it beside the conversation with
// bounded retries (sendOptions), waiting up to ReplyWait for the outcome.
// A send that gives up marks the reply failed with the reason.
func (c *conversation) sendReply(ctx workflow.Context, in activities.ReplyInput) (ReplyResult, error) {
	var stored activities.ReplySent
	if err := workflow.ExecuteActivity(ctx, a.StoreReply, in).Get(ctx, &stored); err != nil {
		return ReplyResult{}, fmt.Errorf("store reply: %w", err)
	}
	res := ReplyResult{MessageID: stored.MessageID, Tag: stored.Tag, Status: stored.Status}
	if stored.Status != domain.MessageQueued {
		return res, nil // suppressed, or settled by an earlier run
	}
	var sent activities.ReplySent
	done := c.sendBeside(ctx, in, stored.MessageID, &sent)
	waitCtx, stopWait := workflow.WithCancel(ctx)
	settled := false
	workflow.NewSelector(ctx).
		AddFuture(done, func(workflow.Future) { settled = true }).
		AddFuture(workflow.NewTimer(waitCtx, ReplyWait), func(workflow.Future) {}).
		Select(ctx)
	if !settled {
		return res, nil // queued: the send goes on
	}
	stopWait()
	if err := done.Get(ctx, nil); err != nil {
		return ReplyResult{}, fmt.Errorf("send reply: %w", err)
	}
	res.Status = sent.Status
	return res, nil
}

// sendBeside sends a stored reply beside the conversation with bounded retries
// (sendOptions), the outcome in sent; a send that gives up marks the reply failed.
func (c *conversation) sendBeside(ctx workflow.Context, in activities.ReplyInput, messageID string, sent *activities.ReplySent) workflow.Future {
	send := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, sendOptions), a.SendReply, in)
	return c.beside(ctx, "reply "+messageID, func(ctx workflow.Context) error {
		err := send.Get(ctx, sent)
		if err == nil || refused(err) {
			return err // a refusal is recorded on the reply by the activity
		}
		ferr := workflow.ExecuteActivity(ctx, a.FailReply, activities.FailReplyInput{
			AccountID: in.AccountID, MessageID: messageID,
			Reason: "the channel did not take the reply after retrying: " + failureReason(err),
		}).Get(ctx, nil)
		if ferr != nil {
			workflow.GetLogger(ctx).Error("could not mark the reply failed", "message_id", messageID, "error", ferr)
		}
		return err
	})
}

// refused reports whether err is the channel's refusal of a reply (already recorded on it).
func refused(err error) bool {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return false
	}
	switch appErr.Type() {
	case activities.ErrTypeSendRejected, activities.ErrTypeOutsideWindow:
		return true
	}
	return false
}

func (c *conversation) validateChange(_ workflow.Context, r ChangeRequest) error {
	if c.state.TicketID == "" {
		return ErrNoTicket
	}
	if r.Status == nil && r.AssignUser == nil && r.AssignTeam == nil {
		return errors.New("nothing to change: give status or assignee")
	}
	if r.Status != nil && (strings.TrimSpace(*r.Status) == "" || len(*r.Status) > 100) {
		return errors.New("status must be 1 to 100 characters")
	}
	return nil
}

// change applies a status change or reassignment; capacity it frees goes to
// the oldest waiting tickets the freed agent can serve.
func (c *conversation) change(ctx workflow.Context, r ChangeRequest) (ChangeResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the bare root context
	var res activities.ChangeResult
	err := workflow.ExecuteActivity(ctx, a.ChangeTicket, activities.ChangeInput{
		AccountID: c.in.AccountID, TicketID: c.state.TicketID, Status: r.Status, AssignUser: r.AssignUser, AssignTeam: r.AssignTeam,
		ActorUserID: r.ActorUserID, Via: r.Via, OnReply: r.OnReply,
	}).Get(ctx, &res)
	if err != nil {
		return ChangeResult{}, fmt.Errorf("change ticket: %w", err)
	}
	c.state.Status = res.Status
	if res.State != domain.RoutingWaitingForAgent {
		c.stopWaitTimer()
	}
	if err := c.statusChanged(ctx, res.CloseAt); err != nil {
		return ChangeResult{}, err
	}
	if (c.closeTimer != nil || c.csatTimer != nil) && workflow.GetVersion(ctx, changeWakeOnClose, workflow.DefaultVersion, 1) == 1 {
		c.wake.SendAsync(true) // the loop waits on the close timer from its next wait on
	}
	if err := c.showRouting(ctx, res.State, res.AssigneeID); err != nil {
		return ChangeResult{}, err
	}
	if r.Via != "sla" && c.state.SLA != nil { // status or team changed: the policy is chosen again
		if err := c.slaChoose(ctx); err != nil {
			return ChangeResult{}, err
		}
	}
	if res.Freed != "" {
		if err := c.dispatch(ctx, res.Freed); err != nil {
			return ChangeResult{}, err
		}
	}
	return ChangeResult{Status: res.Status, AssigneeID: res.AssigneeID, RoutingState: res.State}, nil
}

// dispatch gives a freed agent the oldest waiting tickets they can serve and
// tells those conversations.
func (c *conversation) dispatch(ctx workflow.Context, userID string) error {
	var assigned []activities.Dispatched
	err := workflow.ExecuteActivity(ctx, a.Dispatch, activities.AgentRef{AccountID: c.in.AccountID, UserID: userID}).Get(ctx, &assigned)
	if err != nil {
		return fmt.Errorf("dispatch: %w", err)
	}
	for _, d := range assigned {
		// The assignment is already in PostgreSQL; a conversation that misses
		// this signal learns it when its wait times out.
		_ = workflow.SignalExternalWorkflow(ctx, d.WorkflowID, "", SignalAgentAssigned, AgentAssigned{UserID: d.UserID}).Get(ctx, nil)
	}
	return nil
}
