package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// viewRequest is the body of POST /v1/views; PATCH merges name and filters into it.
type viewRequest struct {
	Name string `json:"name" validate:"required,max=200"`
	// Shared views are the account's (admins create them); others are the caller's own.
	Shared  bool          `json:"shared"`
	Filters ticketFilters `json:"filters"`
}

// viewResponse is a view as the API shows it.
type viewResponse struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Shared bool   `json:"shared"`
	// OwnerUserID is the user a private view belongs to; null for shared and built-in views.
	OwnerUserID *string `json:"owner_user_id"`
	// Builtin views (mine, unassigned, pending, open) are every account's; they cannot change.
	Builtin   bool          `json:"builtin"`
	Filters   ticketFilters `json:"filters"`
	CreatedAt *time.Time    `json:"created_at"`
	UpdatedAt *time.Time    `json:"updated_at"`
}

// viewCount is how many tickets a view holds now.
type viewCount struct {
	ViewID string `json:"view_id"`
	store.TicketCount
}

// builtinViews are every account's views, shared, in the order they are listed.
var builtinViews = []viewResponse{
	{ID: "mine", Name: "Mine", Filters: ticketFilters{AssigneeID: []string{"me"}, StatusNot: []string{domain.TicketStatusClosed}}},
	{ID: "unassigned", Name: "Unassigned", Filters: ticketFilters{AssigneeID: []string{"none"}, StatusNot: []string{domain.TicketStatusClosed}}},
	{ID: "pending", Name: "Pending", Filters: ticketFilters{Status: []string{"pending"}}},
	{ID: "open", Name: "All open", Filters: ticketFilters{StatusNot: []string{domain.TicketStatusClosed}}},
}

// builtinFor returns the built-in views p sees (mine only with a token bound to a user).
func builtinFor(p domain.Principal) []viewResponse {
	out := make([]viewResponse, 0, len(builtinViews))
	for _, v := range builtinViews {
		if v.ID == "mine" && p.UserID == "" {
			continue
		}
		v.Builtin, v.Shared = true, true
		out = append(out, v)
	}
	return out
}

func viewFrom(v store.View) (viewResponse, error) {
	out := viewResponse{ID: v.ID, Name: v.Name, Shared: v.OwnerUserID == "", CreatedAt: &v.CreatedAt, UpdatedAt: &v.UpdatedAt}
	if v.OwnerUserID != "" {
		out.OwnerUserID = &v.OwnerUserID
	}
	if err := json.Unmarshal(v.Filters, &out.Filters); err != nil {
		return out, fmt.Errorf("decode filters of view %s: %w", v.ID, err)
	}
	return out, nil
}

// view returns a view the caller sees, built-in or saved.
func (s *Server) view(c *gin.Context, id string) (viewResponse, error) {
	p := principal(c)
	for _, v := range builtinFor(p) {
		if v.ID == id {
			return v, nil
		}
	}
	v, err := s.store.View(c.Request.Context(), p.AccountID, p.UserID, id)
	if err != nil {
		return viewResponse{}, err
	}
	return viewFrom(v)
}

// views lists the views the caller sees: the built-in ones, the account's shared ones, their own.
func (s *Server) views(c *gin.Context) ([]viewResponse, error) {
	p := principal(c)
	saved, err := s.store.Views(c.Request.Context(), p.AccountID, p.UserID)
	if err != nil {
		return nil, err
	}
	out := builtinFor(p)
	for _, v := range saved {
		r, err := viewFrom(v)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Server) listViews(c *gin.Context) {
	vs, err := s.views(c)
	s.respond(c, http.StatusOK, httpx.List[viewResponse]{Items: vs}, err)
}

func (s *Server) getView(c *gin.Context) {
	v, err := s.view(c, c.Param("id"))
	s.respond(c, http.StatusOK, v, err)
}

func (s *Server) createView(c *gin.Context) {
	p := principal(c)
	var req viewRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	owner := p.UserID
	switch {
	case req.Shared && p.Role != domain.RoleAdmin:
		s.fail(c, fmt.Errorf("only an admin may share a view with the account: %w", domain.ErrForbidden))
		return
	case req.Shared:
		owner = ""
	case owner == "":
		s.fail(c, domain.Invalid("shared", "this admin token has no user to own a private view; set shared: true"))
		return
	}
	filters, err := checkedFilters(req.Filters)
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.store.CreateView(c.Request.Context(), p.AccountID, owner, req.Name, filters)
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := viewFrom(v)
	s.respond(c, http.StatusCreated, out, err)
}

// checkedFilters validates a view's filters and encodes them for storage.
func checkedFilters(f ticketFilters) (json.RawMessage, error) {
	if err := f.validate("filters."); err != nil {
		return nil, err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode filters: %w", err)
	}
	return b, nil
}

// changeableView returns the saved view the caller may change: their own, or a shared one for admins.
func (s *Server) changeableView(c *gin.Context) (viewResponse, error) {
	v, err := s.view(c, c.Param("id"))
	switch {
	case err != nil:
		return v, err
	case v.Builtin:
		return v, fmt.Errorf("the built-in view %s cannot be changed or deleted: %w", v.ID, domain.ErrConflict)
	case v.Shared && principal(c).Role != domain.RoleAdmin:
		return v, fmt.Errorf("only an admin may change a shared view: %w", domain.ErrForbidden)
	}
	return v, nil
}

func (s *Server) patchView(c *gin.Context) {
	var patch json.RawMessage
	if err := httpx.DecodeJSON(c, &patch); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.changeableView(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	req := viewRequest{Name: v.Name, Shared: v.Shared, Filters: v.Filters}
	if err := mergeInto(&req, patch, ""); err != nil {
		s.fail(c, err)
		return
	}
	if req.Shared != v.Shared {
		s.fail(c, domain.Invalid("shared", "cannot change; create a new view instead"))
		return
	}
	filters, err := checkedFilters(req.Filters)
	if err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.store.UpdateView(c.Request.Context(), principal(c).AccountID, v.ID, req.Name, filters)
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := viewFrom(updated)
	s.respond(c, http.StatusOK, out, err)
}

func (s *Server) deleteView(c *gin.Context) {
	v, err := s.changeableView(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respond(c, http.StatusNoContent, nil, s.store.DeleteView(c.Request.Context(), principal(c).AccountID, v.ID))
}

func (s *Server) viewTickets(c *gin.Context) {
	s.searchTickets(c, c.Param("id"), viewTicketsQuery)
}

// viewCounts counts the tickets of every view the caller sees, in one statement.
func (s *Server) viewCounts(c *gin.Context) {
	p := principal(c)
	vs, err := s.views(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	qs := make([]store.TicketQuery, 0, len(vs))
	counted := vs[:0:0]
	for _, v := range vs {
		q, err := v.Filters.query(p)
		if err != nil {
			continue // a shared view of "me" means nothing to an admin token without a user
		}
		qs, counted = append(qs, q), append(counted, v)
	}
	vs = counted
	counts, err := s.store.CountTicketQueries(c.Request.Context(), p.AccountID, qs)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]viewCount, len(vs))
	for i, v := range vs {
		out[i] = viewCount{ViewID: v.ID, TicketCount: counts[i]}
	}
	c.JSON(http.StatusOK, httpx.List[viewCount]{Items: out})
}
