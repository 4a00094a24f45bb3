package store

import (
	"context"
	"fmt"
)

// RoutingTarget is what routing validation needs to know about a user or team id.
type RoutingTarget struct {
	ID         string `db:"id"`
	HasProfile bool   `db:"has_profile"`
}

// RoutingUsers returns the users of the account among ids.
func (s *Store) RoutingUsers(ctx context.Context, accountID string, ids []string) (map[string]RoutingTarget, error) {
	var rows []RoutingTarget
	if err := s.db.SelectContext(ctx, &rows,
		`SELECT id, has_profile FROM users WHERE account_id = $1 AND id = ANY($2)`, accountID, ids); err != nil {
		return nil, fmt.Errorf("look up routing users: %w", err)
	}
	out := make(map[string]RoutingTarget, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// RoutingTeams returns the teams of the account among ids.
func (s *Store) RoutingTeams(ctx context.Context, accountID string, ids []string) (map[string]bool, error) {
	var found []string
	if err := s.db.SelectContext(ctx, &found,
		`SELECT id FROM teams WHERE account_id = $1 AND id = ANY($2)`, accountID, ids); err != nil {
		return nil, fmt.Errorf("look up routing teams: %w", err)
	}
	out := make(map[string]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}
