package server

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
)

// Route authentication requirements.
const (
	authNone      = ""
	authBootstrap = "bootstrap"
	authAny       = "any"
	authAdmin     = "admin"
)

const principalKey = "routedesk.principal"

func bearer(c *gin.Context) (string, bool) {
	h := c.GetHeader("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// authenticate resolves the bearer token to a principal, or answers 401.
func (s *Server) authenticate(c *gin.Context) {
	token, ok := bearer(c)
	if !ok {
		writeProblem(c, http.StatusUnauthorized, "an Authorization: Bearer <token> header is required")
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
		writeProblem(c, http.StatusUnauthorized, "the token is not valid")
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
		writeProblem(c, http.StatusForbidden, "this action needs an admin token")
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
		writeProblem(c, http.StatusForbidden, "account creation is disabled: set ROUTEDESK_BOOTSTRAP_TOKEN to enable it")
		return false
	}
	token, ok := bearer(c)
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.BootstrapToken)) != 1 {
		writeProblem(c, http.StatusUnauthorized, "POST /v1/accounts needs the bootstrap token as its bearer token")
		return false
	}
	return true
}
