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

// retentionRequest is the body of PUT /v1/retention: one policy of the account or of one channel.
type retentionRequest struct {
	// ChannelID scopes the policy to one channel; empty: the account's (channels without their own).
	ChannelID string `json:"channel_id" validate:"max=64"`
	// Days: conversations whose ticket was closed longer ago are deleted or anonymised.
	Days int `json:"days" validate:"required,min=1,max=36500"`
	// Action is delete (the default: the conversation and its ticket go) or anonymise (the ticket
	// and its figures stay for reports; texts, attachments, subjects and the contact's traces go).
	Action string `json:"action" validate:"omitempty,oneof=delete anonymise"`
}

// retentionView is the account's retention policies and its last run (null before the first).
type retentionView struct {
	Policies []store.RetentionPolicy `json:"policies"`
	LastRun  *store.RetentionRun     `json:"last_run"`
}

// putRetention sets a retention policy of the account or of one of its channels.
func (s *Server) putRetention(c *gin.Context) {
	p := principal(c)
	var req retentionRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if req.ChannelID != "" {
		if _, err := s.store.Channel(ctx, p.AccountID, req.ChannelID); err != nil {
			s.fail(c, err)
			return
		}
	}
	if req.Action == "" {
		req.Action = store.RetentionDelete
	}
	if err := s.store.SetRetentionPolicy(ctx, p.AccountID, store.RetentionPolicy{ChannelID: req.ChannelID, Days: req.Days, Action: req.Action}); err != nil {
		s.fail(c, err)
		return
	}
	s.getRetention(c)
}

// deleteRetention removes the account's default policy, or one channel's own with ?channel_id=.
func (s *Server) deleteRetention(c *gin.Context) {
	if err := httpx.CheckQuery(c.Request.URL.Query(), "channel_id"); err != nil {
		s.fail(c, err)
		return
	}
	channelID := c.Query("channel_id")
	if len(channelID) > 64 {
		s.fail(c, domain.Invalid("channel_id", "must be at most 64 characters"))
		return
	}
	if err := s.store.DeleteRetentionPolicy(c.Request.Context(), principal(c).AccountID, channelID); err != nil {
		s.fail(c, err)
		return
	}
	s.getRetention(c)
}

// getRetention answers the account's retention policies and last run.
func (s *Server) getRetention(c *gin.Context) {
	ps, run, err := s.store.Retention(c.Request.Context(), principal(c).AccountID)
	s.respond(c, http.StatusOK, retentionView{Policies: ps, LastRun: run}, err)
}

// retentionRunView is the answer to POST /v1/retention/run: the run's workflow and run id (the
// run_id GET /v1/retention's last_run shows once its first batch is done).
type retentionRunView struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
	State      string `json:"state"`
}

// retentionRunWorkflowID is the workflow id of an account's retention run started by hand: one at a time.
func retentionRunWorkflowID(accountID string) string { return "retention-run:" + accountID }

// runRetention starts the account's retention run now (the hourly Schedule runs every account's);
// a run of the account started by hand and still going is answered instead of a second one.
func (s *Server) runRetention(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	ps, _, err := s.store.Retention(ctx, p.AccountID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(ps) == 0 {
		s.fail(c, fmt.Errorf("the account has no retention policy: PUT /v1/retention first: %w", domain.ErrConflict))
		return
	}
	v, err := s.startRetention(ctx, p.AccountID)
	s.respond(c, http.StatusAccepted, v, err)
}

func (s *Server) startRetention(ctx context.Context, accountID string) (retentionRunView, error) {
	ctx, cancel := context.WithTimeout(ctx, deliverTimeout)
	defer cancel()
	id := retentionRunWorkflowID(accountID)
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: s.cfg.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(workflows.AccountIDKey.ValueSet(accountID)),
	}, privacy.RetentionWorkflowName, privacy.RetentionInput{Accounts: []string{accountID}, Listed: true})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return retentionRunView{}, fmt.Errorf("start the retention run of %s: %w", accountID, err)
	}
	v := retentionRunView{WorkflowID: id, State: "running"}
	if run != nil {
		v.RunID = run.GetRunID()
	}
	return v, nil
}
