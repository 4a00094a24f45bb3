package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// channelKeyRequest is the body of POST /v1/channels/{id}/keys (optional: a name to tell keys apart).
type channelKeyRequest struct {
	Name string `json:"name" validate:"max=200"`
}

func (s *Server) createChannelKey(c *gin.Context) {
	var req channelKeyRequest
	if c.Request.ContentLength != 0 {
		if err := httpx.DecodeJSON(c, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	key, err := s.store.CreateChannelKey(c.Request.Context(), principal(c).AccountID, c.Param("id"), req.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, key)
}

func (s *Server) listChannelKeys(c *gin.Context) {
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	keys, err := s.store.ChannelKeys(c.Request.Context(), principal(c).AccountID, c.Param("id"), page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.NewList(keys, page.Limit, func(k store.ChannelKey) string { return k.ID }))
}

func (s *Server) deleteChannelKey(c *gin.Context) {
	if err := s.store.DeleteChannelKey(c.Request.Context(), principal(c).AccountID, c.Param("id"), c.Param("key_id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
