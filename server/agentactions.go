package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/workflows"
)

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
		httpx.WriteProblem(c, http.StatusGatewayTimeout, err.Error())
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
		err = httpx.DecodeJSON(c, req)
	}
	if err != nil {
		s.fail(c, err)
		return t, false
	}
	return t, true
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
