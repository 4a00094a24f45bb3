package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

func (s *Server) getTicket(c *gin.Context) {
	t, err := s.store.Ticket(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	s.respond(c, http.StatusOK, t, err)
}

func (s *Server) listTickets(c *gin.Context) {
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := store.TicketFilter{
		Status: c.Query("status"), ChannelID: c.Query("channel_id"), AssigneeID: c.Query("assignee_id"),
		RoutingState: c.Query("routing_state"), ContactID: c.Query("contact_id"), Source: c.Query("source"),
	}
	switch f.Source {
	case "", "channel", "api", "import", "integration":
	default:
		s.fail(c, domain.Invalid("source", "must be one of: channel, api, import, integration"))
		return
	}
	switch f.RoutingState {
	case "", domain.RoutingRouting, domain.RoutingWaitingForAgent, domain.RoutingAssigned, domain.RoutingUnassigned:
	default:
		s.fail(c, domain.Invalid("routing_state", "must be one of: routing, waiting_for_agent, assigned, unassigned"))
		return
	}
	ts, err := s.store.ListTickets(c.Request.Context(), principal(c).AccountID, f, page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.NewList(ts, page.Limit, func(t domain.Ticket) string { return t.ID }))
}

func (s *Server) ticketMessages(c *gin.Context) {
	p := principal(c)
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.store.Ticket(c.Request.Context(), p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	msgs, err := s.store.ConversationMessages(c.Request.Context(), p.AccountID, t.ConversationID, page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.NewList(msgs, page.Limit, func(m domain.Message) string { return m.ID }))
}
