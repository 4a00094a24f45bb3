package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

const userColumns = `id, email, name, has_profile, skills, capacity, availability, created_at, updated_at`

type userRow struct {
	ID           string    `db:"id"`
	Email        string    `db:"email"`
	Name         string    `db:"name"`
	HasProfile   bool      `db:"has_profile"`
	Skills       textArray `db:"skills"`
	Capacity     int       `db:"capacity"`
	Availability string    `db:"availability"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
}

func (r userRow) user() domain.User {
	u := domain.User{ID: r.ID, Email: r.Email, Name: r.Name, HasProfile: r.HasProfile, Skills: []string(r.Skills),
		Capacity: r.Capacity, Availability: r.Availability, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if u.Skills == nil {
		u.Skills = []string{}
	}
	return u
}

// lockAddresses serialises changes to an account's user emails and team
// addresses, so the rule "a team address is nobody's own email" holds under concurrency.
func lockAddresses(ctx context.Context, tx *sqlx.Tx, accountID string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('addresses:' || $1))`, accountID); err != nil {
		return fmt.Errorf("lock addresses: %w", err)
	}
	return nil
}

// checkNotTeamAddress fails when email is a connected team email address of the account.
func checkNotTeamAddress(ctx context.Context, tx *sqlx.Tx, accountID, email string) error {
	var name string
	err := tx.GetContext(ctx, &name,
		`SELECT name FROM channels WHERE account_id = $1 AND type = 'email' AND external_key = routedesk_mailbox($2) LIMIT 1`, accountID, email)
	if err == nil {
		return fmt.Errorf("%s is the team address of the email channel %q; a user's own email must differ: %w", email, name, domain.ErrConflict)
	}
	if isNoRows(err) {
		return nil
	}
	return fmt.Errorf("check team addresses: %w", err)
}

// CreateUser adds a user to the account.
func (s *Store) CreateUser(ctx context.Context, accountID string, u domain.User) (domain.User, error) {
	var row userRow
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockAddresses(ctx, tx, accountID); err != nil {
			return err
		}
		if err := checkNotTeamAddress(ctx, tx, accountID, u.Email); err != nil {
			return err
		}
		err := tx.QueryRowxContext(ctx,
			`INSERT INTO users (id, account_id, email, name, has_profile, skills, capacity, availability)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+userColumns,
			NewID("usr"), accountID, u.Email, u.Name, u.HasProfile, nonNil(u.Skills), u.Capacity, u.Availability).StructScan(&row)
		if isUniqueViolation(err, "users_account_email") {
			return fmt.Errorf("a user with email %s exists in this account: %w", u.Email, domain.ErrConflict)
		}
		return err
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("create user: %w", err)
	}
	return row.user(), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// User returns one user of the account.
func (s *Store) User(ctx context.Context, accountID, id string) (domain.User, error) {
	var row userRow
	if err := s.db.GetContext(ctx, &row, `SELECT `+userColumns+` FROM users WHERE id = $1 AND account_id = $2`, id, accountID); err != nil {
		return domain.User{}, notFound(err, "get user")
	}
	return row.user(), nil
}

// ListUsers returns a page of the account's users, oldest first.
func (s *Store) ListUsers(ctx context.Context, accountID string, page Page) ([]domain.User, error) {
	var rows []userRow
	if err := s.db.SelectContext(ctx, &rows,
		`SELECT `+userColumns+` FROM users WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		accountID, page.After, page.Limit); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]domain.User, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.user())
	}
	return out, nil
}

// UpdateUser replaces a user's fields.
func (s *Store) UpdateUser(ctx context.Context, accountID string, u domain.User) (domain.User, error) {
	var row userRow
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockAddresses(ctx, tx, accountID); err != nil {
			return err
		}
		if err := checkNotTeamAddress(ctx, tx, accountID, u.Email); err != nil {
			return err
		}
		err := tx.QueryRowxContext(ctx,
			`UPDATE users SET email = $3, name = $4, has_profile = $5, skills = $6, capacity = $7,
			        availability_changed_at = CASE WHEN availability <> $8 THEN now() ELSE availability_changed_at END,
			        availability = $8, updated_at = now()
			  WHERE id = $1 AND account_id = $2 RETURNING `+userColumns,
			u.ID, accountID, u.Email, u.Name, u.HasProfile, nonNil(u.Skills), u.Capacity, u.Availability).StructScan(&row)
		if isUniqueViolation(err, "users_account_email") {
			return fmt.Errorf("a user with email %s exists in this account: %w", u.Email, domain.ErrConflict)
		}
		if err != nil {
			return notFound(err, "update user")
		}
		return nil
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("update user: %w", err)
	}
	return row.user(), nil
}

// SetAvailability changes a user's availability.
func (s *Store) SetAvailability(ctx context.Context, accountID, id, availability string) (domain.User, error) {
	var row userRow
	err := s.db.QueryRowxContext(ctx,
		`UPDATE users SET availability_changed_at = CASE WHEN availability <> $3 THEN now() ELSE availability_changed_at END,
		        availability = $3, updated_at = now()
		  WHERE id = $1 AND account_id = $2 RETURNING `+userColumns, id, accountID, availability).StructScan(&row)
	if err != nil {
		return domain.User{}, notFound(err, "set availability")
	}
	return row.user(), nil
}

// DeleteUser removes a user unless a channel routes to them (409 naming the
// channels). Their tickets stay: each loses its assignee (an assigned ticket
// becomes unassigned) and records an AssigneeRemoved event naming the user;
// messages they wrote keep their user id. It returns the workflow ids of the
// released tickets that are not closed, whose conversations must learn it.
func (s *Store) DeleteUser(ctx context.Context, accountID, id string) ([]string, error) {
	return s.deleteUnlessRouted(ctx, accountID, id, "users", "user",
		`UPDATE tickets SET assignee_user_id = NULL, updated_at = now(),
		        routing_state = CASE WHEN routing_state = 'assigned' THEN 'unassigned' ELSE routing_state END
		  WHERE account_id = $1 AND assignee_user_id = $2 RETURNING id, conversation_id, workflow_id, status`)
}

// deleteUnlessRouted deletes a user or team ("users"/"teams" rows) unless a
// channel's routing names it; the channels are locked so none starts to
// meanwhile, and the row itself before its tickets (the order assignment
// locks in). unassign takes the row off its tickets ($1 account, $2 id)
// and returns their id, conversation_id, workflow_id and status; each gets an
// AssigneeRemoved event. It returns the workflow ids of those not closed.
func (s *Store) deleteUnlessRouted(ctx context.Context, accountID, id, table, what, unassign string) ([]string, error) {
	var workflowIDs []string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var names []string
		if err := tx.SelectContext(ctx, &names,
			`SELECT name FROM channels WHERE account_id = $1 AND routing->'`+table+`' ? $2 ORDER BY name FOR UPDATE`, accountID, id); err != nil {
			return fmt.Errorf("delete %s: find routing channels: %w", what, err)
		}
		if len(names) > 0 {
			return fmt.Errorf("%s %s is a routing target of the channels %s; take it out of their routing first: %w",
				what, id, strings.Join(quoteAll(names), ", "), domain.ErrConflict)
		}
		var locked string
		if err := tx.GetContext(ctx, &locked, `SELECT id FROM `+table+` WHERE id = $1 AND account_id = $2 FOR UPDATE`, id, accountID); err != nil {
			return notFound(err, "delete "+what)
		}
		if err := tx.SelectContext(ctx, &workflowIDs,
			`WITH gone AS (`+unassign+`),
			 ev AS (INSERT INTO ticket_events (ticket_id, kind, data)
			        SELECT gone.id, 'AssigneeRemoved', jsonb_build_object($3::text, $2::text, 'reason', $4::text) FROM gone)
			 SELECT DISTINCT COALESCE(cv.workflow_id, gone.workflow_id) FROM gone LEFT JOIN conversations cv ON cv.id = gone.conversation_id
			  WHERE gone.status <> 'closed' AND COALESCE(cv.workflow_id, gone.workflow_id, '') <> ''`,
			accountID, id, what+"_id", what+" deleted"); err != nil {
			return fmt.Errorf("delete %s: release its tickets: %w", what, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE id = $1 AND account_id = $2`, id, accountID); err != nil {
			return fmt.Errorf("delete %s: %w", what, err)
		}
		return nil
	})
	return workflowIDs, err
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
