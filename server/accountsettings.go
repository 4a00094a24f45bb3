package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// accountSettingsPatch is the body of PATCH /v1/account/settings: each field present changes the setting.
type accountSettingsPatch struct {
	// SolvedCloseAfterSeconds is how long a solved ticket stays solved before it closes: 1 s to 365 days.
	SolvedCloseAfterSeconds *int `json:"solved_close_after_seconds" validate:"omitempty,min=1,max=31536000"`
}

// accountSettings answers GET /v1/account/settings: the caller's account's settings.
func (s *Server) accountSettings(c *gin.Context) {
	st, err := s.store.AccountSettings(c.Request.Context(), principal(c).AccountID)
	s.respond(c, http.StatusOK, st, err)
}

// patchAccountSettings answers PATCH /v1/account/settings (admins): a ticket solved afterwards closes
// after the new window; one solved before keeps its workflow's timer, and closes when it fires only if
// the current window is over too (store.CloseSolved).
func (s *Server) patchAccountSettings(c *gin.Context) {
	var req accountSettingsPatch
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.SolvedCloseAfterSeconds == nil {
		s.fail(c, domain.Invalid("body", "give solved_close_after_seconds"))
		return
	}
	st, err := s.store.SetAccountSettings(c.Request.Context(), principal(c).AccountID,
		store.AccountSettings{SolvedCloseAfterSeconds: *req.SolvedCloseAfterSeconds})
	s.respond(c, http.StatusOK, st, err)
}
