package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/rules"
	"github.com/routedesk/routedesk/store"
)

// ruleRequest is the body of POST /v1/rules; PATCH merges into it.
type ruleRequest struct {
	Name           string         `json:"name"`
	Kind           string         `json:"kind"`
	ChannelID      *string        `json:"channel_id"`
	When           string         `json:"when"`
	Set            map[string]any `json:"set"`
	RequireSkills  []string       `json:"require_skills"`
	Priority       int            `json:"priority"`
	Enabled        *bool          `json:"enabled"`
	StopProcessing bool           `json:"stop_processing"`
}

func (r ruleRequest) rule(id string) rules.Rule {
	out := rules.Rule{ID: id, Name: r.Name, Kind: rules.Kind(r.Kind), When: r.When, Set: r.Set,
		RequireSkills: r.RequireSkills, Priority: r.Priority, Enabled: true, StopProcessing: r.StopProcessing}
	if r.ChannelID != nil {
		out.ChannelID = *r.ChannelID
	}
	if r.Enabled != nil {
		out.Enabled = *r.Enabled
	}
	return out
}

// ruleResponse is a rule as the API shows it.
type ruleResponse struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Kind           string         `json:"kind"`
	ChannelID      *string        `json:"channel_id"`
	When           string         `json:"when"`
	Set            map[string]any `json:"set"`
	RequireSkills  []string       `json:"require_skills"`
	Priority       int            `json:"priority"`
	Enabled        bool           `json:"enabled"`
	StopProcessing bool           `json:"stop_processing"`
	Version        int            `json:"version"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

func newRuleResponse(r store.StoredRule) ruleResponse {
	out := ruleResponse{ID: r.ID, Name: r.Name, Kind: string(r.Kind), When: r.When, Set: r.Set,
		RequireSkills: r.RequireSkills, Priority: r.Priority, Enabled: r.Enabled, StopProcessing: r.StopProcessing,
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.ChannelID != "" {
		out.ChannelID = &r.ChannelID
	}
	if out.Set == nil {
		out.Set = map[string]any{}
	}
	return out
}

func (r ruleRequest) toRequest(sr store.StoredRule) ruleRequest {
	req := ruleRequest{Name: sr.Name, Kind: string(sr.Kind), When: sr.When, Set: sr.Set, RequireSkills: sr.RequireSkills,
		Priority: sr.Priority, Enabled: &sr.Enabled, StopProcessing: sr.StopProcessing}
	if sr.ChannelID != "" {
		req.ChannelID = &sr.ChannelID
	}
	return req
}

// compileRule compiles a rule; its errors name each field, with the line and column of an expression's error.
func (s *Server) compileRule(r rules.Rule) error {
	return s.rules.Compile(r)
}

func (s *Server) createRule(c *gin.Context) {
	var req ruleRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	r := req.rule("")
	if err := s.compileRule(r); err != nil {
		s.fail(c, err)
		return
	}
	sr, err := s.store.CreateRule(c.Request.Context(), principal(c).AccountID, r)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, newRuleResponse(sr))
}

func (s *Server) getRule(c *gin.Context) {
	sr, err := s.store.Rule(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newRuleResponse(sr))
}

func (s *Server) listRules(c *gin.Context) {
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	rs, err := s.store.ListRules(c.Request.Context(), principal(c).AccountID, page)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]ruleResponse, 0, len(rs))
	for _, r := range rs {
		out = append(out, newRuleResponse(r))
	}
	c.JSON(http.StatusOK, httpx.NewList(out, page.Limit, func(r ruleResponse) string { return r.ID }))
}

func (s *Server) patchRule(c *gin.Context) {
	p := principal(c)
	var patch json.RawMessage
	if err := httpx.DecodeJSON(c, &patch); err != nil {
		s.fail(c, err)
		return
	}
	sr, err := s.store.Rule(c.Request.Context(), p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	req := ruleRequest{}.toRequest(sr)
	if err := mergeInto(&req, patch, ""); err != nil {
		s.fail(c, err)
		return
	}
	r := req.rule(sr.ID)
	if err := s.compileRule(r); err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.store.UpdateRule(c.Request.Context(), p.AccountID, r)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newRuleResponse(updated))
}

func (s *Server) deleteRule(c *gin.Context) {
	s.respond(c, http.StatusNoContent, nil, s.store.DeleteRule(c.Request.Context(), principal(c).AccountID, c.Param("id")))
}

type validateRuleRequest struct {
	When string `json:"when"`
}

// validateRule is the editor's live check: it always answers 200 with where the expression is wrong.
func (s *Server) validateRule(c *gin.Context) {
	var req validateRuleRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rules.CheckWhen(req.When))
}

// testRules evaluates the account's enabled rules against a sample, without saving anything.
func (s *Server) testRules(c *gin.Context) {
	p := principal(c)
	var env rules.Env
	if err := httpx.DecodeJSON(c, &env); err != nil {
		s.fail(c, err)
		return
	}
	set, err := s.store.RuleSet(c.Request.Context(), p.AccountID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if env.Now.IsZero() {
		acc, err := s.store.Account(c.Request.Context(), p.AccountID)
		if err != nil {
			s.fail(c, err)
			return
		}
		loc, err := time.LoadLocation(acc.Timezone)
		if err != nil {
			loc = time.UTC
		}
		env.Now = time.Now().In(loc)
	}
	res := s.rules.Evaluate(set, env.Channel.ID, env)
	body, err := json.Marshal(res)
	if err != nil { // the evaluator keeps out what JSON cannot hold; never answer 200 with no body
		s.fail(c, fmt.Errorf("test rules: encode the result: %w", err))
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}
