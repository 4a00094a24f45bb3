package server

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
)

type healthResponse struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, healthResponse{Status: "ok"})
}

// readyz checks PostgreSQL and Temporal, each within two seconds.
func (s *Server) readyz(c *gin.Context) {
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	ready := true
	if err := s.store.Ping(ctx); err != nil {
		checks["postgres"] = err.Error()
		ready = false
	}
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"] = err.Error()
		ready = false
	}
	if !ready {
		c.Header("Content-Type", problemContentType)
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{
			"type": problemTypes[http.StatusServiceUnavailable], "title": "Service Unavailable",
			"status": http.StatusServiceUnavailable, "detail": "a dependency is unreachable", "checks": checks,
		})
		return
	}
	c.JSON(http.StatusOK, healthResponse{Status: "ready", Checks: checks})
}

func (s *Server) serveMetrics(c *gin.Context) {
	promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{}).ServeHTTP(c.Writer, c.Request)
}
