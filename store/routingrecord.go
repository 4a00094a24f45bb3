package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/routedesk/routedesk/domain"
)

// RoutingRecord is how a ticket was routed: its routing state, assignee and
// required skills, and what the account's rules decided when it was created.
type RoutingRecord struct {
	TicketID       string
	RoutingState   string
	AssigneeUserID *string
	AssigneeTeamID *string
	RequiredSkills []string
	// Rules is the rules' outcome as recorded (JSON), nil when they were not evaluated.
	Rules json.RawMessage
}

// TicketRouting returns the routing record of a ticket of the account.
func (s *Store) TicketRouting(ctx context.Context, accountID, ticketID string) (RoutingRecord, error) {
	var row struct {
		ID             string         `db:"id"`
		RoutingState   string         `db:"routing_state"`
		AssigneeUserID sql.NullString `db:"assignee_user_id"`
		AssigneeTeamID sql.NullString `db:"assignee_team_id"`
		RequiredSkills []byte         `db:"required_skills"`
		Rules          []byte         `db:"rules_outcome"`
	}
	err := s.db.GetContext(ctx, &row,
		`SELECT id, routing_state, assignee_user_id, assignee_team_id, to_json(required_skills)::text AS required_skills, rules_outcome
		   FROM tickets WHERE id = $1 AND account_id = $2`, ticketID, accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return RoutingRecord{}, fmt.Errorf("ticket routing: %w", domain.ErrNotFound)
	}
	if err != nil {
		return RoutingRecord{}, fmt.Errorf("ticket routing: %w", err)
	}
	out := RoutingRecord{TicketID: row.ID, RoutingState: row.RoutingState, Rules: row.Rules, RequiredSkills: []string{}}
	if row.AssigneeUserID.Valid {
		out.AssigneeUserID = &row.AssigneeUserID.String
	}
	if row.AssigneeTeamID.Valid {
		out.AssigneeTeamID = &row.AssigneeTeamID.String
	}
	if len(row.RequiredSkills) > 0 {
		if err := json.Unmarshal(row.RequiredSkills, &out.RequiredSkills); err != nil {
			return RoutingRecord{}, fmt.Errorf("ticket routing: decode required skills: %w", err)
		}
	}
	return out, nil
}

// nullJSON is NULL for an empty document, else the document.
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}
