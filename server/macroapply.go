package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/macros"
	"github.com/routedesk/routedesk/store"
)

// macroApplyRequest is the body of a macro's preview and apply: values for
// placeholders (overriding the ticket's, and filling those it has none for)
// and, optionally, the text to send instead of the macro's body (its
// placeholders filled the same way).
type macroApplyRequest struct {
	Values map[string]string `json:"values" validate:"max=50,dive,max=10000"`
	Text   *string           `json:"text" validate:"omitempty,max=100000"`
}

// macroPreview is a macro rendered for a ticket: the text (placeholders without
// a value left as written), those placeholders with why, and the actions.
type macroPreview struct {
	Text    string             `json:"text"`
	Missing []missingValue     `json:"missing"`
	Actions store.MacroActions `json:"actions"`
}

// missingValue is a placeholder without a value, and why.
type missingValue struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// macroApplied is what applying a macro did: the reply it sent (null without
// text) and each action's outcome, in the order they ran.
type macroApplied struct {
	Text    string          `json:"text"`
	Reply   *replyResponse  `json:"reply"`
	Actions []actionOutcome `json:"actions"`
}

// actionOutcome is one macro action's result: applied; failed (the ticket API
// refused it: status and detail are its answer); skipped
// (the reply was not sent, so no action ran).
type actionOutcome struct {
	Action  string `json:"action"`
	Outcome string `json:"outcome"`
	Status  int    `json:"status,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

func (s *Server) previewMacro(c *gin.Context) {
	rendered, m, ok := s.renderMacro(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, macroPreview{Text: rendered.text, Missing: rendered.missing, Actions: m.Actions})
}

// applyMacro sends the rendered text through the reply route, then each action
// through PATCH /v1/tickets/{id}, so both follow the ticket API's own rules.
func (s *Server) applyMacro(c *gin.Context) {
	rendered, m, ok := s.renderMacro(c)
	if !ok {
		return
	}
	if len(rendered.missing) > 0 {
		invalid := &domain.ValidationError{}
		for _, mv := range rendered.missing {
			invalid.Errors = append(invalid.Errors, domain.FieldError{Field: "values." + mv.Name,
				Message: "{{" + mv.Name + "}} has no value (" + mv.Reason + "): give one in values, or edit it out of the text"})
		}
		s.fail(c, invalid)
		return
	}
	out := macroApplied{Text: rendered.text, Actions: []actionOutcome{}}
	path := "/v1/tickets/" + c.Param("id")
	if strings.TrimSpace(rendered.text) != "" {
		res := s.subrequest(c, http.MethodPost, path+"/replies", map[string]any{"text": rendered.text})
		if res.Code >= 300 { // the reply route's own problem: nothing was sent, no action runs
			relay(c, res)
			return
		}
		var reply replyResponse
		if err := json.Unmarshal(res.Body.Bytes(), &reply); err != nil {
			s.fail(c, errors.New("decode the reply route's answer: "+err.Error()))
			return
		}
		out.Reply = &reply
	}
	notSent := out.Reply != nil && (out.Reply.Status == "failed" || out.Reply.Status == "suppressed")
	for _, a := range macroActionList(m.Actions, s.currentTags(c, path)) {
		if notSent {
			out.Actions = append(out.Actions, actionOutcome{Action: a.name, Outcome: "skipped", Detail: "the reply was " + out.Reply.Status + ", so the macro's actions did not run"})
			continue
		}
		out.Actions = append(out.Actions, outcomeOf(a.name, s.subrequest(c, http.MethodPatch, path, a.body)))
	}
	c.JSON(http.StatusOK, out)
}

type macroAction struct {
	name string
	body map[string]any
}

// macroActionList is the PATCH body of each action: priority, tags, assignee, status; tags are added to the ticket's current ones.
func macroActionList(a store.MacroActions, current []string) []macroAction {
	var out []macroAction
	if a.Priority != nil {
		out = append(out, macroAction{"priority", map[string]any{"priority": *a.Priority}})
	}
	if len(a.Tags) > 0 {
		tags := append([]string{}, current...)
		for _, t := range a.Tags {
			if !contains(tags, t) {
				tags = append(tags, t)
			}
		}
		out = append(out, macroAction{"tags", map[string]any{"tags": tags}})
	}
	if a.Assignee != nil {
		out = append(out, macroAction{"assignee", map[string]any{"assignee": a.Assignee}})
	}
	if a.Status != nil { // last: a status that closes the ticket comes after the other changes
		out = append(out, macroAction{"status", map[string]any{"status": *a.Status}})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// currentTags reads the ticket's tags as the ticket API shows them (none where it has no tags).
func (s *Server) currentTags(c *gin.Context, path string) []string {
	res := s.subrequest(c, http.MethodGet, path, nil)
	var t struct {
		Tags []string `json:"tags"`
	}
	if res.Code == http.StatusOK {
		_ = json.Unmarshal(res.Body.Bytes(), &t)
	}
	return t.Tags
}

// outcomeOf reads the ticket API's answer to one action: applied, or failed with the API's detail and field errors.
func outcomeOf(action string, res *httptest.ResponseRecorder) actionOutcome {
	if res.Code < 300 {
		return actionOutcome{Action: action, Outcome: "applied", Status: res.Code}
	}
	var p Problem
	_ = json.Unmarshal(res.Body.Bytes(), &p)
	o := actionOutcome{Action: action, Outcome: "failed", Status: res.Code, Detail: p.Detail}
	for _, fe := range p.Errors {
		o.Detail += "; " + fe.Field + ": " + fe.Message
	}
	return o
}

// subrequest runs one request of the API in process, as the caller (same
// token, same deadline), so it passes the route's own checks.
func (s *Server) subrequest(c *gin.Context, method, path string, body any) *httptest.ResponseRecorder {
	return s.subrequestCtx(c.Request.Context(), c, method, path, body)
}

// subrequestCtx is subrequest with the context (deadline, values) the request runs with.
func (s *Server) subrequestCtx(ctx context.Context, c *gin.Context, method, path string, body any) *httptest.ResponseRecorder {
	var payload []byte
	if raw, ok := body.(json.RawMessage); ok {
		payload = raw
	} else if body != nil {
		payload, _ = json.Marshal(body)
	}
	req, _ := http.NewRequestWithContext(ctx, method, path, bytes.NewReader(payload))
	req.Header.Set("Authorization", c.GetHeader("Authorization"))
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.RemoteAddr = c.Request.RemoteAddr
	res := httptest.NewRecorder()
	s.engine.ServeHTTP(res, req)
	return res
}

// relay answers with a subrequest's answer as it is.
func relay(c *gin.Context, res *httptest.ResponseRecorder) {
	for k, vs := range res.Header() {
		for _, v := range vs {
			c.Writer.Header().Add(k, v)
		}
	}
	c.Status(res.Code)
	_, _ = c.Writer.Write(res.Body.Bytes())
	c.Abort()
}

type renderedMacro struct {
	text    string
	missing []missingValue
}

// renderMacro loads the route's ticket and macro and renders the macro's text (or the request's) for it.
func (s *Server) renderMacro(c *gin.Context) (renderedMacro, store.Macro, bool) {
	p := principal(c)
	ctx := c.Request.Context()
	var req macroApplyRequest
	t, ok := s.ticketAndBody(c, &req)
	if !ok {
		return renderedMacro{}, store.Macro{}, false
	}
	m, err := s.store.Macro(ctx, p.AccountID, p.UserID, c.Param("macro_id"))
	if err != nil {
		s.fail(c, err)
		return renderedMacro{}, m, false
	}
	for name := range req.Values {
		if _, known := macros.Placeholders[name]; !known {
			s.fail(c, domain.Invalid("values."+name, "is not a placeholder; known: "+strings.Join(macros.Known(), ", ")))
			return renderedMacro{}, m, false
		}
	}
	text := m.Body
	if req.Text != nil {
		text = *req.Text
		if err := macros.Check(text); err != nil {
			s.fail(c, domain.Invalid("text", err.Error()))
			return renderedMacro{}, m, false
		}
	}
	values, reasons, err := s.placeholderValues(ctx, p, t)
	if err != nil {
		s.fail(c, err)
		return renderedMacro{}, m, false
	}
	for k, v := range req.Values {
		if strings.TrimSpace(v) != "" {
			values[k] = v
		}
	}
	out, missing := macros.Render(text, values)
	r := renderedMacro{text: out, missing: []missingValue{}}
	for _, name := range missing {
		r.missing = append(r.missing, missingValue{Name: name, Reason: reasons[name]})
	}
	return r, m, true
}

// placeholderValues are the ticket's, its contact's and the caller's values, and why each blank one is blank.
func (s *Server) placeholderValues(ctx context.Context, p domain.Principal, t domain.Ticket) (map[string]string, map[string]string, error) {
	values := map[string]string{"ticket.id": t.ID, "ticket.subject": t.Subject, "ticket.status": t.Status}
	reasons := map[string]string{"ticket.subject": "the ticket has no subject", "ticket.status": "the ticket has no status"}
	for _, k := range []string{"contact.first_name", "contact.last_name", "contact.name", "contact.email", "contact.phone"} {
		reasons[k] = "the ticket has no contact"
	}
	if t.ContactID != nil {
		ct, err := s.store.Contact(ctx, p.AccountID, *t.ContactID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, nil, err
		}
		if err == nil {
			values["contact.name"], values["contact.phone"] = ct.Name, ct.Phone
			values["contact.first_name"], values["contact.last_name"] = macros.SplitName(ct.Name)
			if ct.Email != nil {
				values["contact.email"] = *ct.Email
			}
			for _, k := range []string{"contact.first_name", "contact.last_name", "contact.name"} {
				reasons[k] = "the contact's name does not give it"
			}
			reasons["contact.email"], reasons["contact.phone"] = "the contact has no email address", "the contact has no phone number"
		}
	}
	for _, k := range []string{"agent.name", "agent.first_name", "agent.email"} {
		reasons[k] = "the token is bound to no user"
	}
	if p.UserID != "" {
		u, err := s.store.User(ctx, p.AccountID, p.UserID)
		if err != nil {
			return nil, nil, err
		}
		values["agent.name"], values["agent.email"] = u.Name, u.Email
		values["agent.first_name"], _ = macros.SplitName(u.Name)
		reasons["agent.name"], reasons["agent.first_name"] = "your user has no name", "your user has no name"
	}
	return values, reasons, nil
}
