package server

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// authChannel is channels.AuthChannel: a key of the route's channel, an admin token, or the channel's own signature.
const authChannel = string(channels.AuthChannel)

// authenticateChannel admits a request to a channel's inbound route (:id): a key of that channel
// (another channel's key → 404, as if the channel did not exist), an admin token of any account
// (the handler scopes the channel to it), or, without a bearer token, a signature the channel's
// type verifies (channels.RequestVerifier). Anything else → 401; an agent token → 403.
func (s *Server) authenticateChannel(c *gin.Context) {
	token, ok := httpx.Bearer(c)
	if !ok {
		s.authenticateSignature(c)
		return
	}
	if !strings.HasPrefix(token, store.ChannelKeyPrefix) {
		if s.setPrincipal(c, token) {
			requireAdmin(c)
		}
		return
	}
	ctx := c.Request.Context()
	p, err := s.store.AuthenticateChannelKey(ctx, token)
	if errors.Is(err, domain.ErrNotFound) {
		httpx.WriteProblem(c, http.StatusUnauthorized, "the channel key is not valid (revoked, or never issued)")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if p.ChannelID != c.Param("id") {
		httpx.WriteProblem(c, http.StatusNotFound, "no such channel: "+c.Param("id"))
		return
	}
	c.Set(principalKey, domain.Principal{AccountID: p.AccountID, Tier: p.Tier, Role: domain.RoleChannel, TokenID: p.KeyID, ChannelID: p.ChannelID})
	c.Next()
}

// authenticateSignature admits a request without a bearer token that the route's channel signs itself.
func (s *Server) authenticateSignature(c *gin.Context) {
	const missing = "an Authorization: Bearer <token> header (an admin token or a key of this channel) is required"
	ctx := c.Request.Context()
	ch, err := s.store.ChannelByID(ctx, c.Param("id"))
	if errors.Is(err, domain.ErrNotFound) {
		httpx.WriteProblem(c, http.StatusUnauthorized, missing)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	impl, _ := s.channels.Lookup(channels.Type(ch.Type))
	verifier, ok := impl.(channels.RequestVerifier)
	if !ok {
		httpx.WriteProblem(c, http.StatusUnauthorized, missing)
		return
	}
	body, err := readBody(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	cfg, err := channelHost{s}.Config(ctx, ch)
	if err != nil {
		s.fail(c, err)
		return
	}
	signed, err := verifier.VerifyRequest(cfg, c.Request.Header, body, time.Now())
	switch {
	case err != nil:
		httpx.WriteProblem(c, http.StatusUnauthorized, err.Error())
		return
	case !signed:
		httpx.WriteProblem(c, http.StatusUnauthorized, missing+", or a signature (X-Routedesk-Timestamp and X-Routedesk-Signature)")
		return
	}
	c.Set(principalKey, domain.Principal{AccountID: ch.AccountID, Role: domain.RoleChannel, ChannelID: ch.ID})
	c.Next()
}
