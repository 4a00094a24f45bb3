package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/macros"
	"github.com/routedesk/routedesk/store"
)

// macroRequest is the body of POST /v1/macros; PATCH merges into it.
type macroRequest struct {
	Name string `json:"name" validate:"required,max=200"`
	Body string `json:"body" validate:"max=100000"`
	// Visibility is personal (the caller's own; the default) or shared (the account's; admins only).
	Visibility string             `json:"visibility" validate:"omitempty,oneof=personal shared"`
	Actions    store.MacroActions `json:"actions"`
}

// macroListQuery are the query parameters of GET /v1/macros.
var macroListQuery = append([]string{"q"}, httpx.PageQuery...)

// macroRoutes are the macro routes of the route table.
func (s *Server) macroRoutes() []route {
	return []route{
		{method: http.MethodPost, path: "/v1/macros", tag: "macros", summary: "Add a canned reply: a body with {{placeholders}} and optional actions (status, priority, tags, assignee); personal (the caller's) or shared (admins)", auth: authAny, request: macroRequest{}, response: store.Macro{}, status: 201, handler: s.createMacro},
		{method: http.MethodGet, path: "/v1/macros", tag: "macros", summary: "List the macros the caller sees (their personal ones and the account's shared ones); q searches names and bodies", auth: authAny, response: httpx.List[store.Macro]{}, status: 200, query: macroListQuery, handler: s.listMacros},
		{method: http.MethodGet, path: "/v1/macros/:id", tag: "macros", summary: "Get a macro", auth: authAny, response: store.Macro{}, status: 200, handler: s.getMacro},
		{method: http.MethodPatch, path: "/v1/macros/:id", tag: "macros", summary: "Change a macro (JSON merge patch of name, body, actions; visibility cannot change)", auth: authAny, request: macroRequest{}, response: store.Macro{}, status: 200, handler: s.patchMacro},
		{method: http.MethodDelete, path: "/v1/macros/:id", tag: "macros", summary: "Remove a macro", auth: authAny, status: 204, handler: s.deleteMacro},
		{method: http.MethodPost, path: "/v1/tickets/:id/macros/:macro_id/preview", tag: "macros", summary: "Render a macro for a ticket without sending: its text and the placeholders that have no value", auth: authAny, request: macroApplyRequest{}, response: macroPreview{}, status: 200, handler: s.previewMacro},
		{method: http.MethodPost, path: "/v1/tickets/:id/macros/:macro_id/apply", tag: "macros", summary: "Apply a macro to a ticket: its rendered text is sent as a reply (422 naming values.<placeholder> while one has no value), then its actions go through PATCH /v1/tickets/{id}, each with its outcome", auth: authAny, request: macroApplyRequest{}, response: macroApplied{}, status: 200, problems: []int{http.StatusConflict, http.StatusBadGateway, http.StatusGatewayTimeout}, handler: s.applyMacro},
	}
}

func (s *Server) createMacro(c *gin.Context) {
	p := principal(c)
	var req macroRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Visibility == "" {
		req.Visibility = store.MacroPersonal
	}
	w, err := s.macroWrite(c.Request.Context(), p, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	m, err := s.store.CreateMacro(c.Request.Context(), p.AccountID, w)
	s.respond(c, http.StatusCreated, m, err)
}

func (s *Server) getMacro(c *gin.Context) {
	p := principal(c)
	m, err := s.store.Macro(c.Request.Context(), p.AccountID, p.UserID, c.Param("id"))
	s.respond(c, http.StatusOK, m, err)
}

func (s *Server) listMacros(c *gin.Context) {
	p := principal(c)
	q := c.Query("q")
	if utf8.RuneCountInString(q) > 200 || !utf8.ValidString(q) || strings.ContainsRune(q, 0) {
		s.fail(c, domain.Invalid("q", "must be valid text of at most 200 characters"))
		return
	}
	listPage(s, c, func(ctx context.Context, accountID string, page store.Page) ([]store.Macro, error) {
		return s.store.ListMacros(ctx, accountID, p.UserID, q, page)
	}, func(m store.Macro) string { return m.ID })
}

func (s *Server) patchMacro(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	var patch json.RawMessage
	if err := httpx.DecodeJSON(c, &patch); err != nil {
		s.fail(c, err)
		return
	}
	m, err := s.store.Macro(ctx, p.AccountID, p.UserID, c.Param("id"))
	if err == nil {
		err = canEditMacro(p, m.Visibility) // a shared macro is the admins' to change
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	req := macroRequest{Name: m.Name, Body: m.Body, Visibility: m.Visibility, Actions: m.Actions}
	if err := mergeInto(&req, patch, ""); err != nil {
		s.fail(c, err)
		return
	}
	if req.Visibility != m.Visibility {
		s.fail(c, domain.Invalid("visibility", "cannot change: create a "+req.Visibility+" copy and delete this one"))
		return
	}
	w, err := s.macroWrite(ctx, p, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.store.UpdateMacro(ctx, p.AccountID, p.UserID, m.ID, w)
	s.respond(c, http.StatusOK, updated, err)
}

func (s *Server) deleteMacro(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	m, err := s.store.Macro(ctx, p.AccountID, p.UserID, c.Param("id"))
	if err == nil {
		err = canEditMacro(p, m.Visibility)
	}
	if err == nil {
		err = s.store.DeleteMacro(ctx, p.AccountID, p.UserID, m.ID)
	}
	s.respond(c, http.StatusNoContent, nil, err)
}

// canEditMacro lets anyone edit their personal macros and only admins the shared ones.
func canEditMacro(p domain.Principal, visibility string) error {
	if visibility == store.MacroShared && p.Role != domain.RoleAdmin {
		return domain.ErrForbidden
	}
	return nil
}

// macroWrite checks a macro request for the caller: who may write it, its placeholders and its actions' assignee.
func (s *Server) macroWrite(ctx context.Context, p domain.Principal, req macroRequest) (store.MacroWrite, error) {
	if err := canEditMacro(p, req.Visibility); err != nil {
		return store.MacroWrite{}, domain.Invalid("visibility", "only an admin token makes or changes shared macros; make a personal one")
	}
	w := store.MacroWrite{Name: strings.TrimSpace(req.Name), Body: req.Body, Actions: req.Actions}
	if req.Visibility == store.MacroPersonal {
		if p.UserID == "" {
			return w, domain.Invalid("visibility", "this token is bound to no user, who would own a personal macro: make it shared, or use a user's token")
		}
		w.OwnerUserID = p.UserID
	}
	if w.Name == "" {
		return w, domain.Invalid("name", "is required")
	}
	if err := macros.Check(req.Body); err != nil {
		return w, domain.Invalid("body", err.Error())
	}
	a := req.Actions
	if strings.TrimSpace(req.Body) == "" && a.Status == nil && a.Priority == nil && len(a.Tags) == 0 && a.Assignee == nil {
		return w, domain.Invalid("body", "a macro needs a body or at least one action")
	}
	if a.Assignee != nil {
		if err := s.checkAssignee(ctx, p.AccountID, &assigneePatch{UserID: a.Assignee.UserID, TeamID: a.Assignee.TeamID}); err != nil {
			return w, prefixFields(err, "actions")
		}
	}
	return w, nil
}
