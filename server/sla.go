package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/sla"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// slaPolicyRequest is the body of POST /v1/sla-policies; PATCH merges into it (docs/sla.md).
type slaPolicyRequest struct {
	Name     string `json:"name"`
	Position int    `json:"position"`
	// Enabled defaults to true on create.
	Enabled           *bool            `json:"enabled,omitempty"`
	When              string           `json:"when"`
	Priorities        []string         `json:"priorities"`
	ChannelTypes      []string         `json:"channel_types"`
	ChannelIDs        []string         `json:"channel_ids"`
	TeamIDs           []string         `json:"team_ids"`
	Targets           sla.Targets      `json:"targets"`
	Calendar          sla.CalendarSpec `json:"calendar"`
	BusinessHoursOnly bool             `json:"business_hours_only"`
	PauseOnPending    bool             `json:"pause_on_pending"`
	PauseOnHold       bool             `json:"pause_on_hold"`
	WarningShare      float64          `json:"warning_share"`
	OnWarning         []sla.Action     `json:"on_warning"`
	OnBreach          []sla.Action     `json:"on_breach"`
}

func (r slaPolicyRequest) policy() sla.Policy {
	p := sla.Policy{Name: r.Name, Position: r.Position, Enabled: r.Enabled == nil || *r.Enabled, When: r.When,
		Priorities: r.Priorities, ChannelTypes: r.ChannelTypes, ChannelIDs: r.ChannelIDs, TeamIDs: r.TeamIDs,
		Targets: r.Targets, Calendar: r.Calendar, BusinessHoursOnly: r.BusinessHoursOnly, PauseOnPending: r.PauseOnPending,
		PauseOnHold: r.PauseOnHold, WarningShare: r.WarningShare, OnWarning: r.OnWarning, OnBreach: r.OnBreach}
	return p
}

func requestOf(p sla.Policy) slaPolicyRequest {
	return slaPolicyRequest{Name: p.Name, Position: p.Position, Enabled: &p.Enabled, When: p.When, Priorities: p.Priorities,
		ChannelTypes: p.ChannelTypes, ChannelIDs: p.ChannelIDs, TeamIDs: p.TeamIDs, Targets: p.Targets, Calendar: p.Calendar,
		BusinessHoursOnly: p.BusinessHoursOnly, PauseOnPending: p.PauseOnPending, PauseOnHold: p.PauseOnHold,
		WarningShare: p.WarningShare, OnWarning: p.OnWarning, OnBreach: p.OnBreach}
}

// slaRoutes are the SLA routes of the route table.
func (s *Server) slaRoutes() []route {
	return []route{
		{method: http.MethodPost, path: "/v1/sla-policies", tag: "sla", summary: "Add an SLA policy: targets, the tickets it applies to (a rules condition, priorities, channels, teams), business hours, pauses and escalations", auth: authAdmin, request: slaPolicyRequest{}, response: sla.Policy{}, status: 201, problems: []int{http.StatusConflict}, handler: s.createSLAPolicy},
		{method: http.MethodGet, path: "/v1/sla-policies", tag: "sla", summary: "List the account's SLA policies in the order they are tried (position, then id; the first that matches applies)", auth: authAdmin, response: httpx.List[sla.Policy]{}, status: 200, handler: s.listSLAPolicies},
		{method: http.MethodGet, path: "/v1/sla-policies/:id", tag: "sla", summary: "Get an SLA policy", auth: authAdmin, response: sla.Policy{}, status: 200, handler: s.getSLAPolicy},
		{method: http.MethodPatch, path: "/v1/sla-policies/:id", tag: "sla", summary: "Change an SLA policy (JSON merge patch); open tickets follow it when their workflow next chooses a policy", auth: authAdmin, request: slaPolicyRequest{}, response: sla.Policy{}, status: 200, handler: s.patchSLAPolicy},
		{method: http.MethodDelete, path: "/v1/sla-policies/:id", tag: "sla", summary: "Remove an SLA policy", auth: authAdmin, status: 204, handler: s.deleteSLAPolicy},
		{method: http.MethodGet, path: "/v1/tickets/:id/team-clocks", tag: "sla", summary: "The spans each team held the ticket, and their total time (per-team clocks), in business time too under a business-hours policy", auth: authAny, response: teamClocks{}, status: 200, handler: s.teamClocks},
	}
}

// checkedPolicy validates a policy with the rules' messages for its condition.
func checkedPolicy(p sla.Policy) error {
	if errs := sla.Validate(p); len(errs) > 0 {
		return &domain.ValidationError{Errors: errs}
	}
	return nil
}

func (s *Server) createSLAPolicy(c *gin.Context) {
	var req slaPolicyRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	p := req.policy()
	if err := checkedPolicy(p); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.store.CreateSLAPolicy(c.Request.Context(), principal(c).AccountID, p)
	s.respond(c, http.StatusCreated, out, err)
}

func (s *Server) listSLAPolicies(c *gin.Context) {
	ps, err := s.store.SLAPolicies(c.Request.Context(), principal(c).AccountID)
	s.respond(c, http.StatusOK, httpx.List[sla.Policy]{Items: ps}, err)
}

func (s *Server) getSLAPolicy(c *gin.Context) {
	p, err := s.store.SLAPolicy(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	s.respond(c, http.StatusOK, p, err)
}

func (s *Server) patchSLAPolicy(c *gin.Context) {
	var patch json.RawMessage
	if err := httpx.DecodeJSON(c, &patch); err != nil {
		s.fail(c, err)
		return
	}
	accountID := principal(c).AccountID
	cur, err := s.store.SLAPolicy(c.Request.Context(), accountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	req := requestOf(cur)
	if err := mergeInto(&req, patch, ""); err != nil {
		s.fail(c, err)
		return
	}
	p := req.policy()
	if err := checkedPolicy(p); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.store.UpdateSLAPolicy(c.Request.Context(), accountID, cur.ID, p)
	s.respond(c, http.StatusOK, out, err)
}

func (s *Server) deleteSLAPolicy(c *gin.Context) {
	s.respond(c, http.StatusNoContent, nil, s.store.DeleteSLAPolicy(c.Request.Context(), principal(c).AccountID, c.Param("id")))
}

// teamClocks is how long each team held a ticket.
type teamClocks struct {
	Spans []store.TeamSpan `json:"spans"`
	// Seconds is each team's total, a span still open counted to now.
	Seconds map[string]float64 `json:"seconds"`
	// BusinessSeconds is each team's total within the business hours of the ticket's policy;
	// null when no policy applies or its clocks count wall time.
	BusinessSeconds map[string]float64 `json:"business_seconds"`
	// Clocks are the same totals per team, teams in the order they first held the ticket.
	Clocks []domain.TeamClock `json:"clocks"`
}

func (s *Server) teamClocks(c *gin.Context) {
	p := principal(c)
	t, err := s.store.Ticket(c.Request.Context(), p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	spans, clocks, err := s.ticketTeamClocks(c.Request.Context(), p.AccountID, t)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := teamClocks{Spans: spans, Seconds: map[string]float64{}, Clocks: clocks}
	for _, cl := range clocks {
		out.Seconds[cl.TeamID] = cl.Seconds
		if cl.BusinessSeconds != nil {
			if out.BusinessSeconds == nil {
				out.BusinessSeconds = map[string]float64{}
			}
			out.BusinessSeconds[cl.TeamID] = *cl.BusinessSeconds
		}
	}
	s.respond(c, http.StatusOK, out, nil)
}

// ticketTeamClocks reads the spans each team held t and totals them, in business time less the
// policy's pauses too when t's policy counts in business hours (a policy deleted since counts as none).
func (s *Server) ticketTeamClocks(ctx context.Context, accountID string, t domain.Ticket) ([]store.TeamSpan, []domain.TeamClock, error) {
	spans, err := s.store.TeamSpans(ctx, accountID, t.ID)
	if err != nil {
		return nil, nil, err
	}
	var policy *sla.Policy
	if t.SLA != nil && t.SLA.PolicyID != "" {
		p, err := s.store.SLAPolicy(ctx, accountID, t.SLA.PolicyID)
		switch {
		case err == nil:
			policy = &p
		case !errors.Is(err, domain.ErrNotFound):
			return nil, nil, err
		}
	}
	in := make([]sla.Span, len(spans))
	for i, sp := range spans {
		in[i] = sla.Span{TeamID: sp.TeamID, From: sp.From}
		if sp.To != nil {
			in[i].To = *sp.To
		}
	}
	var pauses []sla.Interval
	if policy != nil {
		if pauses, err = s.store.TicketPauses(ctx, t.ID, *policy); err != nil {
			return nil, nil, err
		}
	}
	return spans, sla.TeamClocks(in, time.Now(), policy, pauses), nil
}

// recheckSLA tells a ticket's workflow that its priority changed, so it chooses its SLA policy again;
// best effort: a workflow that has ended chooses again when it next runs, one that misses the signal on its next change.
func (s *Server) recheckSLA(ctx context.Context, t domain.Ticket) {
	if t.WorkflowID == "" {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var notFound *serviceerror.NotFound
	if err := s.temporal.SignalWorkflow(sctx, t.WorkflowID, "", workflows.SignalSLARecheck, nil); err != nil && !errors.As(err, &notFound) {
		s.log.WarnContext(ctx, "tell the ticket's workflow to recheck its SLA", "ticket_id", t.ID, "error", err)
	}
}
