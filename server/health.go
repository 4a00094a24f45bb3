package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/internal/httpx"
)

type healthResponse struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, healthResponse{Status: "ok"})
}

// readyz checks PostgreSQL and Temporal, each within two seconds. Callers
// are not authenticated, so a failing dependency is only named
// ("unavailable"); what went wrong is logged.
func (s *Server) readyz(c *gin.Context) {
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	var failing []string
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness: PostgreSQL check failed", "error", err)
		checks["postgres"] = "unavailable"
		failing = append(failing, "postgresql")
	}
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		s.log.WarnContext(ctx, "readiness: Temporal check failed", "error", err)
		checks["temporal"] = "unavailable"
		failing = append(failing, "temporal")
	}
	if len(failing) > 0 {
		c.Header("Retry-After", retryAfterSeconds)
		c.Header("Content-Type", httpx.ProblemContentType)
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{
			"type": httpx.ProblemType(http.StatusServiceUnavailable), "title": "Service Unavailable",
			"status": http.StatusServiceUnavailable, "detail": "unavailable: " + strings.Join(failing, ", "), "checks": checks,
		})
		return
	}
	c.JSON(http.StatusOK, healthResponse{Status: "ready", Checks: checks})
}

func (s *Server) serveMetrics(c *gin.Context) {
	promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{}).ServeHTTP(c.Writer, c.Request)
}
