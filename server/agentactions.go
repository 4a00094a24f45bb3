package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/workflows"
)

// replyRequest is the body of POST /v1/tickets/{id}/replies: text (and html),
// or on WhatsApp an approved template, the only reply allowed after its 24 h window.
type replyRequest struct {
	// ChannelID names the channel a reply to a ticket without a channel opens its conversation
	// on, or the one a reply to a form submission or a call goes out on.
	ChannelID string           `json:"channel_id" validate:"max=100"`
	Text      string           `json:"text" validate:"max=100000"`
	HTML      string           `json:"html" validate:"max=500000"`
	Template  *templateRequest `json:"template"`
	// To, Cc and Bcc replace an email reply's recipients (by default the thread's Reply-To or From, and its Cc).
	To  *[]string `json:"to"`
	Cc  *[]string `json:"cc"`
	Bcc *[]string `json:"bcc"`
}

type templateRequest struct {
	Name       string            `json:"name" validate:"required,max=512"`
	Language   string            `json:"language" validate:"required,max=20"`
	Components []json.RawMessage `json:"components" validate:"max=20"`
}

// replyResponse is what became of a reply: its status (queued, retrying, sent, failed,
// suppressed) with the reason of a failure or suppression, the last temporary error and
// the next attempt of a retrying one, and the channel it goes out on.
type replyResponse struct {
	MessageID     string     `json:"message_id"`
	Tag           string     `json:"tag"`
	Status        string     `json:"status"`
	FailureReason string     `json:"failure_reason,omitempty"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	ChannelID     string     `json:"channel_id"`
}

// replyOutcome is the reply's response: the message as stored now (a delivery that outlived the
// update's wait may have moved on), else what the workflow answered.
func (s *Server) replyOutcome(ctx context.Context, accountID string, res workflows.ReplyResult) replyResponse {
	out := replyResponse{MessageID: res.MessageID, Tag: res.Tag, Status: res.Status, FailureReason: res.FailureReason}
	m, err := s.store.Message(ctx, accountID, res.MessageID)
	if err != nil {
		s.log.WarnContext(ctx, "read the reply's status", "message_id", res.MessageID, "error", err)
		return out
	}
	return replyResponse{MessageID: m.ID, Tag: m.Tag, Status: m.Status, FailureReason: m.FailureReason,
		Attempts: m.Attempts, NextAttemptAt: m.NextAttemptAt, ChannelID: m.ChannelID}
}

// ticketPatch is the body of PATCH /v1/tickets/{id}. assignee, when present,
// replaces both the user and the team; null members unassign.
type ticketPatch struct {
	Status   *string        `json:"status" validate:"omitempty,oneof=new open pending on_hold solved closed"`
	Assignee *assigneePatch `json:"assignee"`
}

type assigneePatch struct {
	UserID *string `json:"user_id" validate:"omitempty,max=100"`
	TeamID *string `json:"team_id" validate:"omitempty,max=100"`
}

// UpdateTimeout bounds how long an agent action waits for its conversation
// workflow (Temporal or the workers may be down or slow); past it the API
// answers 504. A reply waits at most workflows.ReplyWait for its send, so
// this leaves room for storing it and for the workflow's tasks.
const UpdateTimeout = 15 * time.Second

// errNoAnswer means the workflow did not answer an agent action within UpdateTimeout.
var errNoAnswer = errors.New("the conversation did not answer in time; the action may still complete — check the ticket before retrying")

// updateTicketWorkflow runs an agent action as a Workflow Update on the
// ticket's conversation workflow, starting it again if it had ended.
func (s *Server) updateTicketWorkflow(ctx context.Context, accountID string, t domain.Ticket, name string, arg, result any) error {
	return s.updateTicketWorkflowID(ctx, accountID, t, name, "", arg, result)
}

// updateTicketWorkflowID is updateTicketWorkflow with the update's id chosen by the caller ("" lets Temporal choose).
func (s *Server) updateTicketWorkflowID(ctx context.Context, accountID string, t domain.Ticket, name, updateID string, arg, result any) error {
	ctx, cancel := context.WithTimeout(ctx, UpdateTimeout)
	defer cancel()
	in, opts, err := s.ticketWorkflowStart(ctx, accountID, t)
	if err != nil {
		return err
	}
	start := s.temporal.NewWithStartWorkflowOperation(opts, workflows.ConversationWorkflow, in)
	handle, err := s.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			WorkflowID: t.WorkflowID, UpdateName: name, UpdateID: updateID, Args: []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		err = handle.Get(ctx, result)
	}
	if err != nil && ctx.Err() != nil {
		return errNoAnswer
	}
	return updateError(err)
}

// failAction answers an agent action's error: 504 when the workflow did not answer in time.
func (s *Server) failAction(c *gin.Context, err error) {
	if errors.Is(err, errNoAnswer) {
		writeProblem(c, http.StatusGatewayTimeout, err.Error())
		return
	}
	s.fail(c, err)
}

// updateError maps what the workflow said about an agent action: a refusal
// by its validator is a 409, a channel that refused the reply a 502.
func updateError(err error) error {
	if err == nil {
		return nil
	}
	var actErr *temporal.ActivityError
	var appErr *temporal.ApplicationError
	hasApp := errors.As(err, &appErr)
	if errors.As(err, &actErr) {
		// The activity's own typed error sits below the wrapping the workflow added.
		if typed := typedAppError(err); typed != nil {
			appErr = typed
		}
		switch {
		case hasApp && appErr.Type() == activities.ErrTypeInvalid:
			return domain.Invalid("body", appErr.Message())
		case hasApp && appErr.Type() == activities.ErrTypeNotFound:
			return fmt.Errorf("%s: %w", appErr.Message(), domain.ErrNotFound)
		case hasApp && (appErr.Type() == activities.ErrTypeOutsideWindow || appErr.Type() == activities.ErrTypeConflict):
			return fmt.Errorf("%s: %w", appErr.Message(), domain.ErrConflict)
		case hasApp && appErr.Type() == activities.ErrTypeSendRejected:
			return fmt.Errorf("%w: %s", errUpstream, appErr.Message())
		}
		// An activity that gave up (its bounded retries ran out): the channel or a dependency failed.
		return fmt.Errorf("%w: %s", errUpstream, actErr.Error())
	}
	if hasApp { // the workflow's validator refused the action
		return fmt.Errorf("%s: %w", appErr.Message(), domain.ErrConflict)
	}
	return err
}

var errUpstream = errors.New("the channel did not take the reply")

// typedAppError finds the ApplicationError of one of the activities' error types in err's chain.
func typedAppError(err error) *temporal.ApplicationError {
	for e := err; e != nil; e = errors.Unwrap(e) {
		var appErr *temporal.ApplicationError
		if !errors.As(e, &appErr) {
			return nil
		}
		switch appErr.Type() {
		case activities.ErrTypeInvalid, activities.ErrTypeNotFound, activities.ErrTypeSendRejected, activities.ErrTypeOutsideWindow,
			activities.ErrTypeConflict:
			return appErr
		}
		e = appErr
	}
	return nil
}

// ticketAndBody loads the caller's ticket of the route (404 first) and decodes the body into req.
func (s *Server) ticketAndBody(c *gin.Context, req any) (domain.Ticket, bool) {
	t, err := s.store.Ticket(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	if err == nil {
		err = decodeJSON(c, req)
	}
	if err != nil {
		s.fail(c, err)
		return t, false
	}
	return t, true
}

func (s *Server) postReply(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	var req replyRequest
	t, files, ok := s.ticketAndReply(c, &req)
	if !ok {
		return
	}
	if req.Template == nil && strings.TrimSpace(req.Text) == "" && strings.TrimSpace(req.HTML) == "" && len(files) == 0 {
		s.fail(c, domain.Invalid("text", "a reply needs text or html (or files, or a template on WhatsApp)"))
		return
	}
	t, err := s.replyChannel(ctx, p.AccountID, t, req.ChannelID)
	if err != nil {
		s.fail(c, err)
		return
	}
	via, err := s.replyVia(ctx, p.AccountID, t, req.ChannelID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if via.ID == "" {
		if err := s.checkReplyable(ctx, p.AccountID, t.ChannelID); err != nil {
			s.fail(c, err)
			return
		}
	}
	sendChannel, sendType := t.ChannelID, t.ChannelType
	if via.ID != "" {
		sendChannel, sendType = via.ID, via.Type
	}
	rcpt, chosen, err := replyRecipients(req, sendType)
	if err != nil {
		s.fail(c, err)
		return
	}
	updateID := ""
	if chosen { // stored first, under the reply's external id, for the email channel to send to
		updateID = newReplyUpdateID()
		if err := s.store.SaveReplyRecipients(ctx, p.AccountID, sendChannel, "reply:"+updateID, rcpt); err != nil {
			s.fail(c, err)
			return
		}
	}
	uploads, err := s.saveReplyFiles(ctx, p.AccountID, sendType, req, files)
	if err != nil {
		s.failFiles(c, err)
		return
	}
	reply := workflows.ReplyRequest{AuthorUserID: p.UserID, Text: req.Text, HTML: req.HTML, ChannelID: via.ID, ChannelType: via.Type,
		Attachments: uploads}
	if req.Template != nil {
		reply.Template = &activities.Template{Name: req.Template.Name, Language: req.Template.Language, Components: req.Template.Components}
	}
	var res workflows.ReplyResult
	if err := s.updateTicketWorkflowID(ctx, p.AccountID, t, workflows.UpdateReply, updateID, reply, &res); err != nil {
		s.failAction(c, err)
		return
	}
	// 201 whatever the channel did: queued or retrying (the delivery goes on for the channel's
	// retry period), sent, failed (with the channel's text) or suppressed (with why).
	c.JSON(http.StatusCreated, s.replyOutcome(ctx, p.AccountID, res))
}

func (s *Server) patchTicket(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	var req ticketPatch
	t, ok := s.ticketAndBody(c, &req)
	if !ok {
		return
	}
	if err := checkStatusMove(t, req.Status); err != nil {
		s.fail(c, err)
		return
	}
	change := workflows.ChangeRequest{Status: req.Status, ActorUserID: p.UserID, Via: "PATCH /v1/tickets/{id}"}
	if req.Assignee != nil {
		user, team := "", ""
		if req.Assignee.UserID != nil {
			user = *req.Assignee.UserID
		}
		if req.Assignee.TeamID != nil {
			team = *req.Assignee.TeamID
		}
		change.AssignUser, change.AssignTeam = &user, &team
	}
	if change.Status == nil && change.AssignUser == nil {
		s.fail(c, domain.Invalid("body", "give status or assignee"))
		return
	}
	if err := s.checkAssignee(ctx, p.AccountID, req.Assignee); err != nil {
		s.fail(c, err)
		return
	}
	var res workflows.ChangeResult
	if err := s.updateTicketWorkflow(ctx, p.AccountID, t, workflows.UpdateChange, change, &res); err != nil {
		s.failAction(c, err)
		return
	}
	t, err := s.store.Ticket(ctx, p.AccountID, t.ID)
	s.respond(c, http.StatusOK, t, err)
}

// dispatch gives an agent who became available (or got room) the oldest
// waiting tickets they can serve and tells those conversations. The
// assignment is in PostgreSQL before any signal; a conversation that misses
// its signal learns it when its wait times out.
func (s *Server) dispatch(ctx context.Context, accountID, userID string) {
	assigned, err := s.store.Dispatch(ctx, accountID, userID)
	if err != nil {
		s.log.WarnContext(ctx, "dispatch failed; waiting tickets will be routed on their timeout or the next change", "user_id", userID, "error", err)
		return
	}
	for _, d := range assigned {
		if err := s.temporal.SignalWorkflow(ctx, d.WorkflowID, "", workflows.SignalAgentAssigned, workflows.AgentAssigned{UserID: d.UserID}); err != nil {
			s.log.WarnContext(ctx, "signal assignment", "workflow_id", d.WorkflowID, "error", err)
		}
	}
}

// checkAssignee answers 422 naming the field when a manual assignee is not in the account or has no service profile.
func (s *Server) checkAssignee(ctx context.Context, accountID string, a *assigneePatch) error {
	if a == nil {
		return nil
	}
	if a.UserID != nil && *a.UserID != "" {
		u, err := s.store.User(ctx, accountID, *a.UserID)
		if errors.Is(err, domain.ErrNotFound) {
			return domain.Invalid("assignee.user_id", "user "+*a.UserID+" does not exist in this account")
		} else if err != nil {
			return err
		}
		if !u.HasProfile {
			return domain.Invalid("assignee.user_id", "user "+*a.UserID+" has no service profile: only users with a profile are assigned tickets")
		}
	}
	if a.TeamID != nil && *a.TeamID != "" {
		if _, err := s.store.Team(ctx, accountID, *a.TeamID); errors.Is(err, domain.ErrNotFound) {
			return domain.Invalid("assignee.team_id", "team "+*a.TeamID+" does not exist in this account")
		} else if err != nil {
			return err
		}
	}
	return nil
}
