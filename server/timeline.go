package server

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// mergeRequest is the body of POST /v1/contacts/{id}/merge.
type mergeRequest struct {
	FromContactID string `json:"from_contact_id" validate:"required,max=100"`
}

// liveContact answers 404 for a contact that does not exist or was merged (naming the survivor) and returns false.
func (s *Server) liveContact(c *gin.Context, ct domain.Contact, err error) bool {
	if err != nil {
		s.fail(c, err)
		return false
	}
	if ct.ID != c.Param("id") {
		httpx.WriteProblem(c, http.StatusNotFound, fmt.Sprintf("contact %s was merged into %s", c.Param("id"), ct.ID))
		return false
	}
	return true
}

func (s *Server) mergeContact(c *gin.Context) {
	ct, err := s.store.Contact(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	if !s.liveContact(c, ct, err) {
		return
	}
	var req mergeRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	merged, err := s.store.MergeContacts(c.Request.Context(), principal(c).AccountID, ct.ID, req.FromContactID)
	s.respond(c, http.StatusOK, merged, err)
}

func (s *Server) contactTimeline(c *gin.Context) {
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var after *store.TimelineCursor
	if page.After != "" {
		nanos, id, ok := strings.Cut(page.After, "_")
		n, err := strconv.ParseInt(nanos, 10, 64)
		if !ok || err != nil || id == "" {
			s.fail(c, domain.Invalid("cursor", "is not a cursor this API returned"))
			return
		}
		after = &store.TimelineCursor{At: time.Unix(0, n), ID: id}
	}
	ctx := c.Request.Context()
	ct, err := s.store.Contact(ctx, principal(c).AccountID, c.Param("id"))
	if !s.liveContact(c, ct, err) {
		return
	}
	items, err := s.store.Timeline(ctx, principal(c).AccountID, ct.ID, after, page.Limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := httpx.List[store.TimelineItem]{Items: items}
	if len(items) == page.Limit {
		last := items[len(items)-1]
		cur := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(last.At.UnixNano(), 10) + "_" + last.ID))
		out.NextCursor = &cur
	}
	c.JSON(http.StatusOK, out)
}
