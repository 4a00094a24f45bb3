package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/rules"
	"github.com/routedesk/routedesk/store"
)

func (s *Server) getTicket(c *gin.Context) {
	ctx, account := c.Request.Context(), principal(c).AccountID
	t, err := s.store.Ticket(ctx, account, c.Param("id"))
	if err == nil && t.SLA != nil {
		_, t.SLA.TeamClocks, err = s.ticketTeamClocks(ctx, account, t)
	}
	if err == nil {
		t.CSAT, err = s.store.TicketCSAT(ctx, account, t.ID)
	}
	s.respond(c, http.StatusOK, t, err)
}

func (s *Server) listTickets(c *gin.Context) {
	s.searchTickets(c, "", ticketQuery)
}

func (s *Server) ticketMessages(c *gin.Context) {
	p := principal(c)
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.store.Ticket(c.Request.Context(), p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	msgs, err := s.store.ConversationMessages(c.Request.Context(), p.AccountID, t.ConversationID, page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.NewList(msgs, page.Limit, func(m domain.Message) string { return m.ID }))
}

// ticketRequest is the body of POST /v1/tickets.
type ticketRequest struct {
	Subject     string         `json:"subject" validate:"required,max=998"`
	Description string         `json:"description" validate:"max=100000"`
	Contact     ticketContact  `json:"contact"`
	ChannelID   *string        `json:"channel_id" validate:"omitempty,max=100"`
	Pipeline    string         `json:"pipeline" validate:"max=100"`
	Status      string         `json:"status" validate:"omitempty,oneof=new open pending on_hold solved closed"`
	Priority    string         `json:"priority" validate:"omitempty,oneof=low normal high urgent"`
	Properties  map[string]any `json:"properties"`
	Source      string         `json:"source" validate:"omitempty,oneof=api import integration"`
	Route       bool           `json:"route"`
	// Routing routes the ticket instead of its channel's routing; a ticket without a channel needs it to be routed.
	Routing *domain.Routing `json:"routing"`
}

// ticketContact names the ticket's contact: an existing one by id, or one found (or created) by email.
type ticketContact struct {
	ID    string `json:"id" validate:"max=100"`
	Email string `json:"email" validate:"omitempty,email,max=320"`
	Name  string `json:"name" validate:"max=200"`
}

// createTicket opens a ticket without a customer message. On a channel its description becomes the
// first message of a conversation of its own, the account's rules run on it, and with route: true the
// channel's routing (or the request's routing object) assigns it (else it waits unassigned until an
// agent takes it). Without a channel see createChannellessTicket.
func (s *Server) createTicket(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	var req ticketRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Source == "" {
		req.Source = "api"
	}
	channelless := req.ChannelID == nil || *req.ChannelID == ""
	routing, err := s.ticketRouting(ctx, p.AccountID, req, channelless)
	if err != nil {
		s.fail(c, err)
		return
	}
	if channelless {
		s.createChannellessTicket(c, req, routing)
		return
	}
	ch, err := s.connectedChannel(ctx, p.AccountID, *req.ChannelID)
	if err != nil {
		s.fail(c, err)
		return
	}
	author, contactID, err := s.ticketAuthor(ctx, p.AccountID, ch.ID, req.Contact)
	if err != nil {
		s.fail(c, err)
		return
	}
	thread := "api:" + store.NewID("req")
	acc, err := s.store.AcceptInbound(ctx, store.Inbound{AccountID: p.AccountID, ChannelID: ch.ID, ThreadKey: thread, ExternalID: thread,
		Author: author, Subject: req.Subject, Text: req.Description, SentAt: time.Now().UTC()}, s.cfg.ConversationIDs.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	acts := &activities.Activities{Store: s.store, Rules: s.rules, Log: s.log}
	outcome, err := acts.EvaluateRules(ctx, activities.EvaluateRulesInput{AccountID: p.AccountID, ChannelID: ch.ID,
		MessageID: acc.MessageID, ContactID: contactID})
	if err != nil {
		s.fail(c, fmt.Errorf("evaluate rules: %w", err))
		return
	}
	t := ticketFields(ch.TicketDefaults, outcome, req, routing)
	t.AccountID, t.ConversationID, t.ChannelID, t.ContactID = p.AccountID, acc.ConversationID, ch.ID, contactID
	ticket, _, err := s.store.CreateTicket(ctx, t)
	if err != nil {
		s.fail(c, err)
		return
	}
	// The conversation workflow finds the ticket made: it routes one in state routing and follows an
	// unassigned one (replies, assignment); Temporal unreachable now → the redrive loop delivers it later.
	if err := s.deliverPaced(ctx, store.Undelivered{MessageID: acc.MessageID, AccountID: p.AccountID, ChannelID: ch.ID, ChannelType: ch.Type,
		ChannelName: ch.Name, ConversationID: acc.ConversationID, WorkflowID: acc.WorkflowID}); err != nil {
		s.log.WarnContext(ctx, "ticket stored, its conversation starts later", "ticket_id", ticket.ID, "error", err)
	}
	c.JSON(http.StatusCreated, ticket)
}

// ticketAuthor resolves the request's contact: by id (a live contact of the account), else by email (found or created).
func (s *Server) ticketAuthor(ctx context.Context, accountID, channelID string, tc ticketContact) (domain.Author, string, error) {
	switch {
	case tc.ID != "":
		ct, err := s.store.Contact(ctx, accountID, tc.ID)
		if err != nil {
			return domain.Author{}, "", err
		}
		if ct.ID != tc.ID {
			return domain.Author{}, "", domain.Invalid("contact.id", "was merged into "+ct.ID)
		}
		a := domain.Author{Name: ct.Name, Phone: ct.Phone}
		if ct.Email != nil {
			a.Email = *ct.Email
		}
		return a, ct.ID, nil
	case strings.TrimSpace(tc.Email) != "":
		a := domain.Author{Email: tc.Email, Name: tc.Name}
		rc, err := s.store.UpsertContact(ctx, accountID, channelID, a)
		if err != nil {
			return a, "", err
		}
		return a, rc.ContactID, nil
	}
	return domain.Author{}, "", domain.Invalid("contact", "needs an id, or an email")
}

// ticketFields makes the ticket a request asks for: the rules' properties laid over the ticket defaults, the
// request's own fields over both; it waits unassigned unless the request routes it (by routing, when not nil).
func ticketFields(d domain.TicketDefaults, outcome activities.RulesOutcome, req ticketRequest, routing *domain.Routing) store.NewTicket {
	t := store.NewTicket{Pipeline: d.Pipeline, Status: d.Status, Priority: d.Priority, Properties: map[string]any{}}
	t.Subject, t.Description, t.Source, t.RequiredSkills = req.Subject, req.Description, req.Source, outcome.RequiredSkills
	t.Routing, t.RulesOutcome = routing, outcome.Record()
	if !req.Route {
		t.RoutingState = domain.RoutingUnassigned
	}
	maps.Copy(t.Properties, d.Properties)
	for k, v := range outcome.Properties {
		switch s := fmt.Sprint(v); k {
		case "pipeline":
			t.Pipeline = s
		case "status":
			t.Status = s
		case "priority":
			t.Priority = s
		default:
			t.Properties[k] = v
		}
	}
	for field, v := range map[*string]string{&t.Pipeline: req.Pipeline, &t.Status: req.Status, &t.Priority: req.Priority} {
		if v != "" {
			*field = v
		}
	}
	maps.Copy(t.Properties, req.Properties)
	return t
}

// routingRecord is GET /v1/tickets/{id}/routing: where routing left the
// ticket, and what the account's rules decided when it was created.
type routingRecord struct {
	TicketID       string          `json:"ticket_id"`
	RoutingState   string          `json:"routing_state"`
	Assignee       domain.Assignee `json:"assignee"`
	RequiredSkills []string        `json:"required_skills"`
	// Rules is null when the ticket's rules were not evaluated (imported, or created before routing records).
	Rules *rulesRecord `json:"rules"`
	// Decisions are the routing decisions made for the ticket, newest first (the newest 10 are kept).
	Decisions []routingDecision `json:"decisions"`
	// Waiting, for a ticket waiting for an agent, is its candidates judged now; null otherwise.
	Waiting *routingDecision `json:"waiting"`
}

// rulesRecord is the rules part of a routing record.
type rulesRecord struct {
	RuleSetVersion int64          `json:"rule_set_version"`
	Matched        []string       `json:"matched"`
	Properties     map[string]any `json:"properties"`
	RequiredSkills []string       `json:"required_skills"`
	// Errors are the rules that failed for this ticket and were skipped: id, kind, field and message.
	Errors []rules.RuleError `json:"errors"`
}

func (s *Server) getTicketRouting(c *gin.Context) {
	rec, err := s.store.TicketRouting(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := routingRecord{TicketID: rec.TicketID, RoutingState: rec.RoutingState, RequiredSkills: rec.RequiredSkills,
		Assignee: domain.Assignee{UserID: rec.AssigneeUserID, TeamID: rec.AssigneeTeamID}}
	if len(rec.Rules) > 0 {
		var r rulesRecord
		if err := json.Unmarshal(rec.Rules, &r); err != nil {
			s.fail(c, err)
			return
		}
		if r.Matched == nil {
			r.Matched = []string{}
		}
		if r.Properties == nil {
			r.Properties = map[string]any{}
		}
		if r.RequiredSkills == nil {
			r.RequiredSkills = []string{}
		}
		if r.Errors == nil {
			r.Errors = []rules.RuleError{}
		}
		out.Rules = &r
	}
	if out.Decisions, out.Waiting, err = s.routingDecisions(c.Request.Context(), principal(c).AccountID, rec.TicketID); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// checkAssignee answers 422 naming the field when a manual assignee is not in the account or has no service profile.
func (s *Server) checkAssignee(ctx context.Context, accountID string, a *assigneePatch) error {
	if a == nil {
		return nil
	}
	if a.UserID != nil && *a.UserID != "" {
		u, err := s.store.User(ctx, accountID, *a.UserID)
		if errors.Is(err, domain.ErrNotFound) {
			return domain.Invalid("assignee.user_id", "user "+*a.UserID+" does not exist in this account")
		} else if err != nil {
			return err
		}
		if !u.HasProfile {
			return domain.Invalid("assignee.user_id", "user "+*a.UserID+" has no service profile: only users with a profile are assigned tickets")
		}
	}
	if a.TeamID != nil && *a.TeamID != "" {
		if _, err := s.store.Team(ctx, accountID, *a.TeamID); errors.Is(err, domain.ErrNotFound) {
			return domain.Invalid("assignee.team_id", "team "+*a.TeamID+" does not exist in this account")
		} else if err != nil {
			return err
		}
	}
	return nil
}
