package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
)

// accountSettingsPatch is the body of PATCH /v1/account/settings: each field present changes the setting.
type accountSettingsPatch struct {
	// SolvedCloseAfterSeconds is how long a solved ticket stays solved before it closes: 1 s to 365 days.
	SolvedCloseAfterSeconds *int `json:"solved_close_after_seconds" validate:"omitempty,min=1,max=31536000"`
	// CSATEnabled turns the satisfaction survey of solved tickets on or off.
	CSATEnabled *bool `json:"csat_enabled"`
	// CSATDelaySeconds is how long after a ticket is solved its survey's invitation goes out: 1 s to 30 days.
	CSATDelaySeconds *int `json:"csat_delay_seconds" validate:"omitempty,min=1,max=2592000"`
}

// accountSettings answers GET /v1/account/settings: the caller's account's settings.
func (s *Server) accountSettings(c *gin.Context) {
	st, err := s.store.AccountSettings(c.Request.Context(), principal(c).AccountID)
	s.respond(c, http.StatusOK, st, err)
}

// patchAccountSettings answers PATCH /v1/account/settings (admins), each field given changing its setting: a
// survey is scheduled with the delay in force when its ticket is solved. A ticket solved afterwards closes
// after the new window; one solved before keeps its workflow's timer, and closes when it fires only if
// the current window is over too (store.CloseSolved).
func (s *Server) patchAccountSettings(c *gin.Context) {
	var req accountSettingsPatch
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.SolvedCloseAfterSeconds == nil && req.CSATEnabled == nil && req.CSATDelaySeconds == nil {
		s.fail(c, domain.Invalid("body", "give solved_close_after_seconds, csat_enabled or csat_delay_seconds"))
		return
	}
	ctx := c.Request.Context()
	st, err := s.store.AccountSettings(ctx, principal(c).AccountID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if req.SolvedCloseAfterSeconds != nil {
		st.SolvedCloseAfterSeconds = *req.SolvedCloseAfterSeconds
	}
	if req.CSATEnabled != nil {
		st.CSATEnabled = *req.CSATEnabled
	}
	if req.CSATDelaySeconds != nil {
		st.CSATDelaySeconds = *req.CSATDelaySeconds
	}
	st, err = s.store.SetAccountSettings(ctx, principal(c).AccountID, st)
	s.respond(c, http.StatusOK, st, err)
}
