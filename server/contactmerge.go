package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// mergeResponse is POST /v1/contacts/{id}/merge: the surviving contact, and the merge with its undo deadline.
type mergeResponse struct {
	domain.Contact
	Merge store.MergeRecord `json:"merge"`
}

// actor is who a principal is on a record: its user, else its token.
func actor(p domain.Principal) string {
	if p.UserID != "" {
		return p.UserID
	}
	return p.TokenID
}

func samePtr(a, b *string) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func (s *Server) contactDuplicates(c *gin.Context) {
	ctx := c.Request.Context()
	ct, err := s.store.Contact(ctx, principal(c).AccountID, c.Param("id"))
	if !s.liveContact(c, ct, err) {
		return
	}
	dups, err := s.store.Duplicates(ctx, principal(c).AccountID, ct.ID)
	s.respond(c, http.StatusOK, httpx.List[store.Duplicate]{Items: dups}, err)
}

func (s *Server) previewMerge(c *gin.Context) {
	ctx := c.Request.Context()
	ct, err := s.store.Contact(ctx, principal(c).AccountID, c.Param("id"))
	if !s.liveContact(c, ct, err) {
		return
	}
	from := c.Query("from_contact_id")
	if from == "" || len(from) > 100 {
		s.fail(c, domain.Invalid("from_contact_id", "is required: the id of the contact to merge into this one"))
		return
	}
	p, err := s.store.PreviewMerge(ctx, principal(c).AccountID, ct.ID, from)
	s.respond(c, http.StatusOK, p, err)
}

func (s *Server) undoMerge(c *gin.Context) {
	out, err := s.store.UndoMerge(c.Request.Context(), principal(c).AccountID, c.Param("id"), c.Param("merge_id"), actor(principal(c)))
	if errors.Is(err, store.ErrUndoExpired) {
		httpx.WriteProblem(c, http.StatusGone, s.stateErrorText(c, err, store.ErrUndoExpired))
		return
	}
	s.respond(c, http.StatusOK, out, err)
}
