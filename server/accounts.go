package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/internal/httpx"
)

type createAccountRequest struct {
	Name string `json:"name" validate:"required,max=200"`
	Tier string `json:"tier" validate:"required,oneof=starter professional enterprise"`
}

type createAccountResponse struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Tier       string `json:"tier"`
	AdminToken string `json:"admin_token"`
}

func (s *Server) createAccount(c *gin.Context) {
	if !s.checkBootstrap(c) {
		return
	}
	var req createAccountRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	acc, token, err := s.store.CreateAccount(c.Request.Context(), req.Name, req.Tier, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, createAccountResponse{ID: acc.ID, Name: acc.Name, Tier: acc.Tier, AdminToken: token})
}
