package server

import (
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
)

// Route authentication requirements.
const (
	authNone      = ""
	authBootstrap = "bootstrap"
	authAny       = "any"
	authAdmin     = "admin"
)

const principalKey = "routedesk.principal"

// authenticate resolves the bearer token to a principal, or answers 401.
func (s *Server) authenticate(c *gin.Context) {
	token, ok := httpx.Bearer(c)
	if !ok {
		httpx.WriteProblem(c, http.StatusUnauthorized, "an Authorization: Bearer <token> header is required")
		return
	}
	if s.setPrincipal(c, token) {
		c.Next()
	}
}

// setPrincipal resolves an account token to the request's principal, or answers (401 for an unknown token) and returns false.
func (s *Server) setPrincipal(c *gin.Context, token string) bool {
	p, err := s.store.Authenticate(c.Request.Context(), token)
	if errors.Is(err, domain.ErrNotFound) {
		httpx.WriteProblem(c, http.StatusUnauthorized, "the token is not valid")
		return false
	}
	if err != nil {
		s.fail(c, err)
		return false
	}
	c.Set(principalKey, p)
	return true
}

// requireAdmin answers 403 to agent tokens.
func requireAdmin(c *gin.Context) {
	if principal(c).Role != domain.RoleAdmin {
		httpx.WriteProblem(c, http.StatusForbidden, "this action needs an admin token")
		return
	}
	c.Next()
}

// principal is the authenticated caller; only valid behind authenticate.
func principal(c *gin.Context) domain.Principal {
	p, _ := c.Get(principalKey)
	return p.(domain.Principal)
}

// checkBootstrap answers unless the request carries the bootstrap token.
func (s *Server) checkBootstrap(c *gin.Context) bool {
	if s.cfg.BootstrapToken == "" {
		httpx.WriteProblem(c, http.StatusForbidden, "account creation is disabled: set ROUTEDESK_BOOTSTRAP_TOKEN to enable it")
		return false
	}
	token, ok := httpx.Bearer(c)
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.BootstrapToken)) != 1 {
		httpx.WriteProblem(c, http.StatusUnauthorized, "POST /v1/accounts needs the bootstrap token as its bearer token")
		return false
	}
	return true
}
