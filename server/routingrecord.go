package server

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/rules"
)

// routingRecord is GET /v1/tickets/{id}/routing: where routing left the
// ticket, and what the account's rules decided when it was created.
type routingRecord struct {
	TicketID       string          `json:"ticket_id"`
	RoutingState   string          `json:"routing_state"`
	Assignee       domain.Assignee `json:"assignee"`
	RequiredSkills []string        `json:"required_skills"`
	// Rules is null when the ticket's rules were not evaluated (imported, or created before routing records).
	Rules *rulesRecord `json:"rules"`
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
	c.JSON(http.StatusOK, out)
}
