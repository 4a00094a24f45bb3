package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/privacy"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// eraseRequest is the body of POST /v1/contacts/{id}/erase: confirm repeats the contact's id.
type eraseRequest struct {
	Confirm string `json:"confirm"`
}

// eraseContact starts (or finds) the durable erasure of a contact and answers its audit record.
func (s *Server) eraseContact(c *gin.Context) {
	p := principal(c)
	id := c.Param("id")
	if _, err := s.store.Contact(c.Request.Context(), p.AccountID, id); err != nil {
		// an erased contact is gone; asking again answers its erasure record
		if _, rerr := s.store.ErasureOf(c.Request.Context(), p.AccountID, id); rerr != nil {
			s.fail(c, err)
			return
		}
	}
	var req eraseRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Confirm != id {
		s.fail(c, domain.Invalid("confirm", "must repeat the contact's id: erasure deletes the contact's data for good"))
		return
	}
	ctx := c.Request.Context()
	wfID := privacy.EraseWorkflowID(p.AccountID, id)
	e, _, err := s.store.StartErasure(ctx, p.AccountID, id, actorOf(p), wfID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if e.State != "completed" {
		if err := s.startErasure(ctx, e); err != nil {
			s.fail(c, err)
			return
		}
	}
	c.JSON(http.StatusAccepted, e)
}

// contactErasure answers the audit record of a contact's erasure.
func (s *Server) contactErasure(c *gin.Context) {
	e, err := s.store.ErasureOf(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, e)
}

// startErasure starts the erasure's workflow; one already running (or done) is left as it is.
func (s *Server) startErasure(ctx context.Context, e store.Erasure) error {
	ctx, cancel := context.WithTimeout(ctx, deliverTimeout)
	defer cancel()
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: e.WorkflowID, TaskQueue: s.cfg.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(workflows.AccountIDKey.ValueSet(e.AccountID)),
	}, privacy.EraseWorkflowName, privacy.EraseInput{AccountID: e.AccountID, ContactID: e.ContactID, ErasureID: e.ID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start the erasure of %s: %w", e.ContactID, err)
	}
	return nil
}
