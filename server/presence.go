package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/internal/pgnotify"
	"github.com/routedesk/routedesk/store"
)

// Presence lifetimes: a console heartbeats every 10 s while a ticket is open and every few seconds while typing.
const (
	viewingFor = 30 * time.Second
	typingFor  = 6 * time.Second
)

// presenceRequest is the body of POST /v1/tickets/{id}/presence.
type presenceRequest struct {
	// State is viewing, typing (a reply; implies viewing) or left.
	State string `json:"state" validate:"required,oneof=viewing typing left"`
}

// presenceEvent is a presence event of the stream: who is on which ticket now, for how many seconds more.
type presenceEvent struct {
	TicketID string `json:"ticket_id"`
	UserID   string `json:"user_id"`
	Name     string `json:"name"`
	// State is viewing, typing or left.
	State string `json:"state"`
	// TTL is how many seconds the state holds without another heartbeat.
	TTL int `json:"ttl_seconds"`
}

func (s *Server) postPresence(c *gin.Context) {
	p := principal(c)
	var req presenceRequest
	if _, ok := s.ticketAndBody(c, &req); !ok {
		return
	}
	beat := store.PresenceBeat{AccountID: p.AccountID, TicketID: c.Param("id"), UserID: streamer(p), View: viewingFor, Leave: req.State == "left"}
	ttl := int(viewingFor.Seconds())
	if req.State == "typing" {
		beat.Typing, ttl = typingFor, int(typingFor.Seconds())
	}
	if beat.Leave {
		ttl = 0
	}
	all, err := s.store.BeatPresence(c.Request.Context(), beat)
	if err != nil {
		s.fail(c, err)
		return
	}
	name := ""
	if u, err := s.store.User(c.Request.Context(), p.AccountID, p.UserID); err == nil {
		name = u.Name
		if name == "" {
			name = u.Email
		}
	}
	ev, _ := json.Marshal(presenceEvent{TicketID: beat.TicketID, UserID: beat.UserID, Name: name, State: req.State, TTL: ttl})
	if err := pgnotify.Notify(c.Request.Context(), s.store.DB(), liveChannel, p.AccountID, string(ev)); err != nil {
		s.log.WarnContext(c.Request.Context(), "presence: notify", "error", err)
	}
	c.JSON(http.StatusOK, httpx.List[store.Presence]{Items: others(all, beat.UserID)})
}

func (s *Server) getPresence(c *gin.Context) {
	p := principal(c)
	if _, err := s.store.Ticket(c.Request.Context(), p.AccountID, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	all, err := s.store.TicketPresence(c.Request.Context(), p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.List[store.Presence]{Items: others(all, streamer(p))})
}

// others drops the caller from a ticket's presence.
func others(all []store.Presence, self string) []store.Presence {
	return slices.DeleteFunc(all, func(x store.Presence) bool { return x.UserID == self })
}
