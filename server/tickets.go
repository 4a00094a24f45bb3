package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
)

func (s *Server) getTicket(c *gin.Context) {
	t, err := s.store.Ticket(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	s.respond(c, http.StatusOK, t, err)
}

func (s *Server) listTickets(c *gin.Context) {
	s.searchTickets(c, "", ticketQuery)
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
	c.JSON(http.StatusOK, newList(msgs, page, func(m domain.Message) string { return m.ID }))
}
