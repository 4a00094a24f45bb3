package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// registerUpdates installs the agents' actions: replies and ticket changes.
// Their validators reject bad requests before anything is written to history.
func (c *conversation) registerUpdates(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReply, c.reply,
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

func (c *conversation) validateReply(_ workflow.Context, r ReplyRequest) error {
	if c.state.TicketID == "" {
		return ErrNoTicket
	}
	if r.Template != nil {
		if !c.traits().Templates() {
			return errors.New("templates are sent on WhatsApp channels only")
		}
		if r.Template.Name == "" || r.Template.Language == "" {
			return errors.New("a template needs a name and a language")
		}
	} else if strings.TrimSpace(r.Text) == "" && strings.TrimSpace(r.HTML) == "" {
		return errors.New("a reply needs text or html")
	}
	_, err := c.replyTag(r)
	return err
}

// reply stores the agent's reply and sends it on the conversation's channel.
func (c *conversation) reply(ctx workflow.Context, r ReplyRequest) (ReplyResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the bare root context
	tag, err := c.replyTag(r)                                // the window may have moved since validation
	if err != nil {
		return ReplyResult{}, err
	}
	var sent activities.ReplySent
	err = workflow.ExecuteActivity(ctx, a.SendReply, activities.ReplyInput{
		AccountID: c.in.AccountID, ChannelID: c.in.ChannelID, ChannelType: c.in.ChannelType,
		ConversationID: c.in.ConversationID, TicketID: c.state.TicketID,
		ReplyID: workflow.GetCurrentUpdateInfo(ctx).ID, AuthorUserID: r.AuthorUserID, Text: r.Text, HTML: r.HTML, Tag: tag, Template: r.Template,
	}).Get(ctx, &sent)
	if err != nil {
		return ReplyResult{}, fmt.Errorf("send reply: %w", err)
	}
	return ReplyResult{MessageID: sent.MessageID, Tag: sent.Tag, Status: sent.Status}, nil
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
	}).Get(ctx, &res)
	if err != nil {
		return ChangeResult{}, fmt.Errorf("change ticket: %w", err)
	}
	c.state.Status = res.Status
	if res.State != domain.RoutingWaitingForAgent {
		c.stopWaitTimer()
	}
	if err := c.showRouting(ctx, res.State, res.AssigneeID); err != nil {
		return ChangeResult{}, err
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
	var assigned []store.Dispatched
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
