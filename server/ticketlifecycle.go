package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// checkStatusMove answers 422 naming status when the lifecycle does not let t go to status
// (docs/tickets.md, Lifecycle); the store checks again under the ticket's lock.
func checkStatusMove(t domain.Ticket, status *string) error {
	if status == nil {
		return nil
	}
	if !domain.ValidTicketStatus(*status) {
		return domain.Invalid("status", "must be one of: "+domain.TicketStatusesText())
	}
	if domain.CanMoveTicket(t.Status, *status) {
		return nil
	}
	next := domain.NextTicketStatuses(t.Status)
	if len(next) == 0 {
		return domain.Invalid("status", "a "+t.Status+" ticket is final: a new customer message opens a follow-up ticket")
	}
	return domain.Invalid("status", "a "+t.Status+" ticket can become one of: "+strings.Join(next, ", "))
}

// ticketEvents lists a ticket's audit trail, oldest first: every change, who made it and from which route or rule.
func (s *Server) ticketEvents(c *gin.Context) {
	p := principal(c)
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if _, err := s.store.Ticket(ctx, p.AccountID, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	events, err := s.store.TicketEvents(ctx, p.AccountID, c.Param("id"), page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.NewList(events, page.Limit, func(e store.TicketEvent) string { return strconv.FormatInt(e.ID, 10) }))
}
