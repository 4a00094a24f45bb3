package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// listIgnored answers GET /v1/channels/{id}/ignored: the inbound traffic the channel made no ticket of, newest first, with the reason.
func (s *Server) listIgnored(c *gin.Context) {
	ctx := c.Request.Context()
	accountID := principal(c).AccountID
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.store.Channel(ctx, accountID, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	items, err := s.store.IgnoredInboundOf(ctx, accountID, c.Param("id"), page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.NewList(items, page.Limit, func(i store.IgnoredInbound) string { return i.ID }))
}
