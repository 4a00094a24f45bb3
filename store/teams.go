package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

type teamRow struct {
	ID        string    `db:"id"`
	Name      string    `db:"name"`
	Members   textArray `db:"members"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

const teamSelect = `SELECT t.id, t.name, t.created_at, t.updated_at,
       COALESCE(ARRAY(SELECT m.user_id FROM team_members m WHERE m.team_id = t.id ORDER BY m.user_id), '{}') AS members
  FROM teams t`

func (r teamRow) team() domain.Team {
	return domain.Team{ID: r.ID, Name: r.Name, Members: nonNil([]string(r.Members)), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// setMembers replaces a team's members; every member must be a user of the account.
func setMembers(ctx context.Context, tx *sqlx.Tx, accountID, teamID string, members []string) error {
	var found []string
	if err := tx.SelectContext(ctx, &found, `SELECT id FROM users WHERE account_id = $1 AND id = ANY($2)`, accountID, nonNil(members)); err != nil {
		return fmt.Errorf("look up members: %w", err)
	}
	have := map[string]bool{}
	for _, id := range found {
		have[id] = true
	}
	invalid := &domain.ValidationError{}
	for i, id := range members {
		if !have[id] {
			invalid.Errors = append(invalid.Errors, domain.FieldError{Field: fmt.Sprintf("members[%d]", i), Message: "user " + id + " does not exist in this account"})
		}
	}
	if len(invalid.Errors) > 0 {
		return invalid
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = $1`, teamID); err != nil {
		return fmt.Errorf("clear members: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO team_members (team_id, user_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, teamID, nonNil(members)); err != nil {
		return fmt.Errorf("add members: %w", err)
	}
	return nil
}

func teamNameConflict(err error, name string) error {
	if isUniqueViolation(err, "teams_account_name") {
		return fmt.Errorf("a team named %q exists in this account: %w", name, domain.ErrConflict)
	}
	return err
}

// CreateTeam adds a team with its members.
func (s *Store) CreateTeam(ctx context.Context, accountID, name string, members []string) (domain.Team, error) {
	id := NewID("team")
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO teams (id, account_id, name) VALUES ($1, $2, $3)`, id, accountID, name); err != nil {
			return teamNameConflict(err, name)
		}
		return setMembers(ctx, tx, accountID, id, members)
	})
	if err != nil {
		return domain.Team{}, fmt.Errorf("create team: %w", err)
	}
	return s.Team(ctx, accountID, id)
}

// UpdateTeam renames a team and replaces its members.
func (s *Store) UpdateTeam(ctx context.Context, accountID, id, name string, members []string) (domain.Team, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE teams SET name = $3, updated_at = now() WHERE id = $1 AND account_id = $2`, id, accountID, name)
		if err != nil {
			return teamNameConflict(err, name)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		return setMembers(ctx, tx, accountID, id, members)
	})
	if err != nil {
		return domain.Team{}, fmt.Errorf("update team: %w", err)
	}
	return s.Team(ctx, accountID, id)
}

// Team returns one team of the account with its members.
func (s *Store) Team(ctx context.Context, accountID, id string) (domain.Team, error) {
	var row teamRow
	if err := s.db.GetContext(ctx, &row, teamSelect+` WHERE t.id = $1 AND t.account_id = $2`, id, accountID); err != nil {
		return domain.Team{}, notFound(err, "get team")
	}
	return row.team(), nil
}

// ListTeams returns a page of the account's teams, oldest first.
func (s *Store) ListTeams(ctx context.Context, accountID string, page Page) ([]domain.Team, error) {
	var rows []teamRow
	if err := s.db.SelectContext(ctx, &rows, teamSelect+` WHERE t.account_id = $1 AND t.id > $2 ORDER BY t.id LIMIT $3`,
		accountID, page.After, page.Limit); err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	out := make([]domain.Team, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.team())
	}
	return out, nil
}

// DeleteTeam removes a team unless a channel routes to it (409 naming the
// channels). Its tickets stay, without the team, each with an AssigneeRemoved event.
func (s *Store) DeleteTeam(ctx context.Context, accountID, id string) error {
	_, err := s.deleteUnlessRouted(ctx, accountID, id, "teams", "team",
		`UPDATE tickets SET assignee_team_id = NULL, updated_at = now()
		  WHERE account_id = $1 AND assignee_team_id = $2 RETURNING id, conversation_id, workflow_id, status`)
	return err
}
