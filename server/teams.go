package server

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
)

// teamRequest is the body of POST /v1/teams; PATCH merges into it.
type teamRequest struct {
	Name    string   `json:"name" validate:"required,max=200"`
	Members []string `json:"members" validate:"max=1000"`
}

func (s *Server) createTeam(c *gin.Context) {
	var req teamRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.store.CreateTeam(c.Request.Context(), principal(c).AccountID, req.Name, req.Members)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, t)
}

func (s *Server) getTeam(c *gin.Context) {
	t, err := s.store.Team(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	s.respond(c, http.StatusOK, t, err)
}

func (s *Server) listTeams(c *gin.Context) {
	listPage(s, c, s.store.ListTeams, func(t domain.Team) string { return t.ID })
}

func (s *Server) patchTeam(c *gin.Context) {
	p := principal(c)
	var patch json.RawMessage
	if err := httpx.DecodeJSON(c, &patch); err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.store.Team(c.Request.Context(), p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	req := teamRequest{Name: t.Name, Members: t.Members}
	if err := mergeInto(&req, patch, ""); err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.store.UpdateTeam(c.Request.Context(), p.AccountID, t.ID, req.Name, req.Members)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, updated)
}

func (s *Server) deleteTeam(c *gin.Context) {
	s.respond(c, http.StatusNoContent, nil, s.store.DeleteTeam(c.Request.Context(), principal(c).AccountID, c.Param("id")))
}
