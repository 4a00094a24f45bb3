package server

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// noteRequest is the body of POST /v1/tickets/{id}/notes: the note's text, where "@email" of a
// user of the account mentions them, and users mentioned by id.
type noteRequest struct {
	Body     string   `json:"body" validate:"required,max=100000"`
	Mentions []string `json:"mentions" validate:"max=50,dive,max=100"`
}

// mentionEmail is an "@address" mention in a note's text (the address of a user of the account).
var mentionEmail = regexp.MustCompile(`(?:^|[^\w.@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)`)

// noteRoutes are the notes' and notifications' routes of the route table.
func (s *Server) noteRoutes() []route {
	return []route{
		{method: http.MethodPost, path: "/v1/tickets/:id/notes", tag: "tickets", summary: "Add an internal note to a ticket: for agents only, never sent to a channel; @email of a user (or mentions: [user ids]) notifies them, by email too when they are not available", auth: authAny, request: noteRequest{}, response: store.Note{}, status: 201, handler: s.addNote},
		{method: http.MethodGet, path: "/v1/tickets/:id/notes", tag: "tickets", summary: "A ticket's internal notes, oldest first", auth: authAny, response: httpx.List[store.Note]{}, status: 200, query: httpx.PageQuery, handler: s.listNotes},
		{method: http.MethodGet, path: "/v1/notifications", tag: "users", summary: "The notifications of the user the token is bound to, newest first (mentions in notes)", auth: authAny, response: httpx.List[store.Notification]{}, status: 200, query: httpx.PageQuery, handler: s.listNotifications},
		{method: http.MethodPost, path: "/v1/notifications/:id/read", tag: "users", summary: "Mark one of the caller's notifications read", auth: authAny, response: store.Notification{}, status: 200, handler: s.readNotification},
	}
}

func (s *Server) addNote(c *gin.Context) {
	p := principal(c)
	var req noteRequest
	t, ok := s.ticketAndBody(c, &req)
	if !ok {
		return
	}
	if strings.TrimSpace(req.Body) == "" {
		s.fail(c, domain.Invalid("body", "a note needs text"))
		return
	}
	var emails []string
	for _, m := range mentionEmail.FindAllStringSubmatch(req.Body, 100) {
		emails = append(emails, m[1])
	}
	n, err := s.store.AddNote(c.Request.Context(), store.NewNote{AccountID: p.AccountID, TicketID: t.ID, AuthorUserID: p.UserID,
		Body: req.Body, MentionIDs: req.Mentions, MentionEmails: emails})
	s.respond(c, http.StatusCreated, n, err)
}

func (s *Server) listNotes(c *gin.Context) {
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
	notes, err := s.store.Notes(ctx, p.AccountID, c.Param("id"), page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.NewList(notes, page.Limit, func(n store.Note) string { return n.ID }))
}

// tokenUser is the user the caller's token is bound to; a token bound to none is refused (403).
func (s *Server) tokenUser(c *gin.Context) (string, bool) {
	p := principal(c)
	if p.UserID == "" {
		httpx.WriteProblem(c, http.StatusForbidden, "this token is bound to no user: notifications are a user's (POST /v1/users/{id}/tokens)")
		return "", false
	}
	return p.UserID, true
}

func (s *Server) listNotifications(c *gin.Context) {
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	user := principal(c).UserID
	if user == "" { // an account token bound to no user is notified of nothing
		c.JSON(http.StatusOK, httpx.NewList([]store.Notification{}, page.Limit, func(n store.Notification) string { return n.ID }))
		return
	}
	items, err := s.store.Notifications(c.Request.Context(), principal(c).AccountID, user, page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.NewList(items, page.Limit, func(n store.Notification) string { return n.ID }))
}

func (s *Server) readNotification(c *gin.Context) {
	user, ok := s.tokenUser(c)
	if !ok {
		return
	}
	n, err := s.store.ReadNotification(c.Request.Context(), principal(c).AccountID, user, c.Param("id"))
	s.respond(c, http.StatusOK, n, err)
}
