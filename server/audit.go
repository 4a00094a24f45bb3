package server

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// auditQuery documents GET /v1/audit's query parameters.
var auditQuery = append([]string{"action", "since", "until"}, httpx.PageQuery...)

// actorOf names who did an operation on the audit log: the token's user, or the token itself.
func actorOf(p domain.Principal) string {
	if p.UserID != "" {
		return p.UserID
	}
	return "token:" + p.TokenID
}

// listAudit answers a page of the account's audit log, newest first, filtered by ?action= and
// ?since= / ?until= (RFC 3339, created_at in [since, until)).
func (s *Server) listAudit(c *gin.Context) {
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var f store.AuditFilter
	if f.Action = c.Query("action"); f.Action != "" && !slices.Contains(store.AuditActions, f.Action) {
		s.fail(c, domain.Invalid("action", "must be one of "+strings.Join(store.AuditActions, ", ")))
		return
	}
	for _, q := range []struct {
		name string
		at   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := c.Query(q.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			s.fail(c, domain.Invalid(q.name, "must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z"))
			return
		}
		*q.at = t
	}
	items, err := s.store.AuditLog(c.Request.Context(), principal(c).AccountID, f, page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.NewList(items, page.Limit, func(e store.AuditEntry) string { return e.ID }))
}
