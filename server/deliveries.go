package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// listDeliveries answers GET /v1/deliveries?state=failed|pending: inbound
// messages not (yet) accepted by their conversation workflow.
func (s *Server) listDeliveries(c *gin.Context) {
	state := c.DefaultQuery("state", store.DeliveryFailed)
	if state != store.DeliveryFailed && state != store.DeliveryPending {
		s.fail(c, domain.Invalid("state", "must be one of: failed, pending"))
		return
	}
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ds, err := s.store.Deliveries(c.Request.Context(), principal(c).AccountID, state, page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.NewList(ds, page.Limit, func(d store.Delivery) string { return d.MessageID }))
}

// retryDelivery answers POST /v1/deliveries/{id}/retry: the message
// goes back to the redelivery queue with its attempts reset (409 once delivered).
func (s *Server) retryDelivery(c *gin.Context) {
	d, err := s.store.RequeueDelivery(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	s.respond(c, http.StatusAccepted, d, err)
}
