package server

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
)

// notTakingMessages is what a public route (a website's chat or form) says of a disconnected channel:
// its reader is a visitor, who can do nothing about it.
const notTakingMessages = "this channel is not taking messages"

// channelGoneError is an inbound route's channel that is disconnected (410).
type channelGoneError struct{ ch domain.Channel }

func (e *channelGoneError) Error() string {
	since := ""
	if e.ch.DisconnectedAt != nil {
		since = " since " + e.ch.DisconnectedAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("the channel %q is disconnected%s and takes no messages until an admin reconnects it", e.ch.Name, since)
}

// Unwrap makes the error a domain.ErrChannelDisconnected.
func (e *channelGoneError) Unwrap() error { return domain.ErrChannelDisconnected }

// rfc3339Times finds the RFC 3339 timestamps error texts carry.
var rfc3339Times = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)

// stateErrorText is the detail of a 409 or 410 for the person who reads it:
// the reason without the sentinel's own words (": conflict") and every time in
// the account's time zone (UTC when it has none), e.g. "Mon 7 Dec 2026, 15:04 (Europe/Stockholm)".
func (s *Server) stateErrorText(c *gin.Context, err, sentinel error) string {
	msg := err.Error()
	suffix := ": " + sentinel.Error()
	msg = strings.TrimSuffix(strings.ReplaceAll(msg, suffix+":", ":"), suffix)
	if msg == sentinel.Error() || msg == "" {
		msg = "the request conflicts with the resource's current state"
	}
	if !rfc3339Times.MatchString(msg) {
		return msg
	}
	loc := s.accountLocation(c.Request.Context(), c)
	return rfc3339Times.ReplaceAllStringFunc(msg, func(stamp string) string {
		t, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			return stamp
		}
		return localTime(t, loc)
	})
}

// goneText is the detail of a 410: a visitor on a public route reads only that the channel takes no messages.
func (s *Server) goneText(c *gin.Context, err error) string {
	if s.routeAuth[c.Request.Method+" "+c.FullPath()] == authNone {
		return notTakingMessages
	}
	msg := s.stateErrorText(c, err, domain.ErrChannelDisconnected)
	var gone *channelGoneError
	if p, ok := c.Get(principalKey); ok && p.(domain.Principal).Role == domain.RoleAdmin && errors.As(err, &gone) {
		msg += fmt.Sprintf(` (PATCH /v1/channels/%s {"status": "connected"})`, gone.ch.ID)
	}
	return msg
}

// accountLocation is the time zone of the request's account; UTC when it has none or it cannot be read.
func (s *Server) accountLocation(ctx context.Context, c *gin.Context) *time.Location {
	p, ok := c.Get(principalKey)
	if !ok || s.store == nil {
		return time.UTC
	}
	acc, err := s.store.Account(ctx, p.(domain.Principal).AccountID)
	if err != nil || acc.Timezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(acc.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// localTime writes t for a person: "Mon 7 Dec 2026, 15:04 (Europe/Stockholm)", or "… 14:04 UTC".
func localTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if loc == time.UTC || loc.String() == "UTC" {
		return t.Format("Mon 2 Jan 2006, 15:04") + " UTC"
	}
	return t.Format("Mon 2 Jan 2006, 15:04") + " (" + loc.String() + ")"
}
