package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
)

// redactRequest is the body of POST /v1/messages/{id}/redact: why, and optionally one attachment only.
type redactRequest struct {
	// Reason says why (kept on the message, never on the audit log).
	Reason string `json:"reason" validate:"max=500"`
	// Attachment, when set, redacts only the message's attachment of that number.
	Attachment *int `json:"attachment,omitempty" validate:"omitempty,min=0"`
}

// redactMessage replaces a message's content (or one attachment) with a marker, everywhere it is stored.
func (s *Server) redactMessage(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	if _, err := s.store.Message(ctx, p.AccountID, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	var req redactRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Reason == "" {
		s.fail(c, domain.Invalid("reason", "is required: say why the content is redacted"))
		return
	}
	r, err := s.store.RedactMessage(ctx, p.AccountID, c.Param("id"), req.Attachment, actorOf(p), req.Reason)
	s.respond(c, http.StatusOK, r, err)
}

// autoRedactRequest is the body of PUT /v1/channels/{id}/redaction.
type autoRedactRequest struct {
	// AutoRedact replaces Luhn-valid card numbers and Swedish personnummer in inbound messages before they are stored.
	AutoRedact *bool `json:"auto_redact" validate:"required"`
}

// setAutoRedact turns a channel's automatic redaction on arrival on or off.
func (s *Server) setAutoRedact(c *gin.Context) {
	p := principal(c)
	if _, err := s.store.Channel(c.Request.Context(), p.AccountID, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	var req autoRedactRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	err := s.store.SetAutoRedact(c.Request.Context(), p.AccountID, c.Param("id"), *req.AutoRedact)
	s.respond(c, http.StatusOK, autoRedactRequest{AutoRedact: req.AutoRedact}, err)
}
