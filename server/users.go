package server

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
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
	if err := decodeJSON(c, &req); err != nil {
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
	if err := decodeJSON(c, &patch); err != nil {
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
	s.respond(c, http.StatusNoContent, nil, s.store.DeleteUser(c.Request.Context(), principal(c).AccountID, c.Param("id")))
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
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.store.SetAvailability(c.Request.Context(), p.AccountID, id, req.Availability)
	if err == nil && u.Availability == domain.Available {
		s.dispatch(c.Request.Context(), p.AccountID, id)
	}
	s.respond(c, http.StatusOK, u, err)
}

func (s *Server) createUserToken(c *gin.Context) {
	p := principal(c)
	token, err := s.store.CreateUserToken(c.Request.Context(), p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, tokenResponse{Token: token, UserID: c.Param("id"), Role: domain.RoleAgent})
}
