package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/workflows"
)

// userRequest is the body of POST /v1/users; PATCH merges into it.
type userRequest struct {
	Email        string   `json:"email" validate:"required,email,max=320"`
	Name         string   `json:"name" validate:"max=200"`
	HasProfile   *bool    `json:"has_profile"`
	Skills       []string `json:"skills" validate:"max=50,dive,required,max=64"`
	Capacity     *int     `json:"capacity" validate:"omitempty,min=0,max=1000"`
	Availability string   `json:"availability" validate:"omitempty,oneof=available away offline"`
}

func (r userRequest) user(id string) domain.User {
	u := domain.User{ID: id, Email: r.Email, Name: r.Name, HasProfile: true, Skills: r.Skills, Capacity: 5, Availability: r.Availability}
	if r.HasProfile != nil {
		u.HasProfile = *r.HasProfile
	}
	if r.Capacity != nil {
		u.Capacity = *r.Capacity
	}
	if u.Availability == "" {
		u.Availability = domain.Offline
	}
	return u
}

type availabilityRequest struct {
	Availability string `json:"availability" validate:"required,oneof=available away offline"`
}

type tokenResponse struct {
	Token  string `json:"token"`
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

func (s *Server) createUser(c *gin.Context) {
	var req userRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.store.CreateUser(c.Request.Context(), principal(c).AccountID, req.user(""))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, u)
}

func (s *Server) getUser(c *gin.Context) {
	u, err := s.store.User(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	s.respond(c, http.StatusOK, u, err)
}

func (s *Server) listUsers(c *gin.Context) {
	listPage(s, c, s.store.ListUsers, func(u domain.User) string { return u.ID })
}

func (s *Server) patchUser(c *gin.Context) {
	p := principal(c)
	var patch json.RawMessage
	if err := httpx.DecodeJSON(c, &patch); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.store.User(c.Request.Context(), p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	req := userRequest{Email: u.Email, Name: u.Name, HasProfile: &u.HasProfile, Skills: u.Skills, Capacity: &u.Capacity, Availability: u.Availability}
	if err := mergeInto(&req, patch, ""); err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.store.UpdateUser(c.Request.Context(), p.AccountID, req.user(u.ID))
	if err == nil {
		s.dispatch(c.Request.Context(), p.AccountID, u.ID) // more capacity, new skills or availability may serve waiting tickets
	}
	s.respond(c, http.StatusOK, updated, err)
}

func (s *Server) deleteUser(c *gin.Context) {
	id := c.Param("id")
	workflowIDs, err := s.store.DeleteUser(c.Request.Context(), principal(c).AccountID, id)
	if err == nil {
		s.tellAssigneeRemoved(context.WithoutCancel(c.Request.Context()), id, workflowIDs)
	}
	s.respond(c, http.StatusNoContent, nil, err)
}

// tellAssigneeRemoved signals the running conversations of a deleted user's
// tickets so their AssigneeId search attribute follows PostgreSQL; an ended
// workflow has nothing to update, and one Temporal cannot reach is logged.
func (s *Server) tellAssigneeRemoved(ctx context.Context, userID string, workflowIDs []string) {
	for _, wid := range workflowIDs {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := s.temporal.SignalWorkflow(sctx, wid, "", workflows.SignalAssigneeRemoved, workflows.AssigneeRemoved{UserID: userID})
		cancel()
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			s.log.WarnContext(ctx, "tell a conversation its agent was deleted; its AssigneeId search attribute stays stale", "workflow_id", wid, "error", err)
		}
	}
}

// putAvailability sets a user's availability; an agent may set only their own.
func (s *Server) putAvailability(c *gin.Context) {
	p := principal(c)
	id := c.Param("id")
	if p.Role != domain.RoleAdmin && p.UserID != id {
		s.fail(c, fmt.Errorf("an agent token may set only its own user's availability: %w", domain.ErrForbidden))
		return
	}
	if _, err := s.store.User(c.Request.Context(), p.AccountID, id); err != nil {
		s.fail(c, err)
		return
	}
	var req availabilityRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.store.SetAvailability(c.Request.Context(), p.AccountID, id, req.Availability)
	if err == nil && u.Availability == domain.Available {
		s.dispatch(c.Request.Context(), p.AccountID, id)
	}
	s.respond(c, http.StatusOK, u, err)
}

// userTokenRequest is the optional body of POST /v1/users/{id}/tokens: the token's role
// (agent by default; an admin token bound to a user makes the user one of the
// account's admins, who are emailed when a channel starts failing).
type userTokenRequest struct {
	Role string `json:"role" validate:"omitempty,oneof=admin agent"`
}

func (s *Server) createUserToken(c *gin.Context) {
	p := principal(c)
	var req userTokenRequest
	if c.Request.ContentLength != 0 {
		if err := httpx.DecodeJSON(c, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	if req.Role == "" {
		req.Role = domain.RoleAgent
	}
	token, err := s.store.CreateUserToken(c.Request.Context(), p.AccountID, c.Param("id"), req.Role)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, tokenResponse{Token: token, UserID: c.Param("id"), Role: req.Role})
}
