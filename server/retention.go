package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// retentionRequest is the body of PUT /v1/retention: one policy of the account or of one channel.
type retentionRequest struct {
	// ChannelID scopes the policy to one channel; empty: the account's (channels without their own).
	ChannelID string `json:"channel_id" validate:"max=64"`
	// Days: conversations whose ticket was closed longer ago are deleted.
	Days int `json:"days" validate:"required,min=1,max=36500"`
	// Action is delete (the default).
	Action string `json:"action" validate:"omitempty,oneof=delete"`
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
		req.Action = "delete"
	}
	if err := s.store.SetRetentionPolicy(ctx, p.AccountID, store.RetentionPolicy{ChannelID: req.ChannelID, Days: req.Days, Action: req.Action}); err != nil {
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
