package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/web"
)

// meResponse says who a token is, for the console.
type meResponse struct {
	AccountID string `json:"account_id"`
	Role      string `json:"role"`
	UserID    string `json:"user_id,omitempty"`
	// TemporalUI is the Temporal Web UI's namespace URL (…/namespaces/<ns>); empty when unknown.
	TemporalUI string `json:"temporal_ui"`
}

// me answers who the bearer token belongs to.
func (s *Server) me(c *gin.Context) {
	p := principal(c)
	c.JSON(http.StatusOK, meResponse{AccountID: p.AccountID, Role: p.Role, UserID: p.UserID,
		TemporalUI: strings.TrimRight(s.cfg.TemporalUI, "/")})
}

// consoleFiles serves the embedded console with the /console prefix stripped.
var consoleFiles = http.StripPrefix("/console", web.Console())

// redirectConsole sends /console to /console/.
func redirectConsole(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/console/") }

// consoleAssets serves the admin console's embedded assets; a missing one is a 404 problem.
func consoleAssets(c *gin.Context) {
	name := strings.Trim(c.Param("path"), "/")
	if !web.HasConsoleAsset(name) {
		httpx.WriteProblem(c, http.StatusNotFound, "the console has no file "+strconv.Quote(name))
		return
	}
	consoleFiles.ServeHTTP(c.Writer, c.Request)
}
