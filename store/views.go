package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// MaxViewsPerOwner bounds the views one user keeps, and the views an account shares.
const MaxViewsPerOwner = 100

// View is a saved ticket view: a name and the filters of GET /v1/tickets (JSON).
type View struct {
	ID   string
	Name string
	// OwnerUserID is the user a private view belongs to; "" for a view shared with the account.
	OwnerUserID string
	Filters     json.RawMessage
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

type viewRow struct {
	ID        string          `db:"id"`
	Name      string          `db:"name"`
	Owner     sql.NullString  `db:"owner_user_id"`
	Filters   json.RawMessage `db:"filters"`
	CreatedAt time.Time       `db:"created_at"`
	UpdatedAt time.Time       `db:"updated_at"`
}

func (r viewRow) view() View {
	return View{ID: r.ID, Name: r.Name, OwnerUserID: r.Owner.String, Filters: r.Filters, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

const viewColumns = `id, name, owner_user_id, filters, created_at, updated_at`

// CreateView saves a view, private to ownerUserID or, with "", shared with the account;
// a conflict once the owner (or the account's shared views) has MaxViewsPerOwner.
func (s *Store) CreateView(ctx context.Context, accountID, ownerUserID, name string, filters json.RawMessage) (View, error) {
	var row viewRow
	// One statement: the count and the insert see the same snapshot; a concurrent
	// create may pass the bound by one, which only bounds, it does not guarantee.
	err := s.db.GetContext(ctx, &row,
		`INSERT INTO ticket_views (id, account_id, owner_user_id, name, filters)
		 SELECT $1, $2, $3, $4, $5
		  WHERE (SELECT count(*) FROM ticket_views WHERE account_id = $2 AND owner_user_id IS NOT DISTINCT FROM $3) < $6
		 RETURNING `+viewColumns,
		NewID("view"), accountID, nullable(ownerUserID), name, filters, MaxViewsPerOwner)
	if isNoRows(err) {
		return View{}, fmt.Errorf("create view: %d views is the limit: %w", MaxViewsPerOwner, domain.ErrConflict)
	}
	if err != nil {
		return View{}, fmt.Errorf("create view: %w", err)
	}
	return row.view(), nil
}

// Views lists the views userID sees: the account's shared views and the user's own, by id.
func (s *Store) Views(ctx context.Context, accountID, userID string) ([]View, error) {
	var rows []viewRow
	err := s.db.SelectContext(ctx, &rows,
		`SELECT `+viewColumns+` FROM ticket_views
		  WHERE account_id = $1 AND (owner_user_id IS NULL OR owner_user_id = $2) ORDER BY id`,
		accountID, nullable(userID))
	if err != nil {
		return nil, fmt.Errorf("list views: %w", err)
	}
	out := make([]View, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out, nil
}

// View returns one view userID sees; another user's private view is not found.
func (s *Store) View(ctx context.Context, accountID, userID, id string) (View, error) {
	var row viewRow
	err := s.db.GetContext(ctx, &row,
		`SELECT `+viewColumns+` FROM ticket_views
		  WHERE id = $1 AND account_id = $2 AND (owner_user_id IS NULL OR owner_user_id = $3)`,
		id, accountID, nullable(userID))
	if err != nil {
		return View{}, notFound(err, "get view")
	}
	return row.view(), nil
}

// UpdateView renames a view and replaces its filters.
func (s *Store) UpdateView(ctx context.Context, accountID, id, name string, filters json.RawMessage) (View, error) {
	var row viewRow
	err := s.db.GetContext(ctx, &row,
		`UPDATE ticket_views SET name = $3, filters = $4, updated_at = now()
		  WHERE id = $1 AND account_id = $2 RETURNING `+viewColumns,
		id, accountID, name, filters)
	if err != nil {
		return View{}, notFound(err, "update view")
	}
	return row.view(), nil
}

// DeleteView removes a view.
func (s *Store) DeleteView(ctx context.Context, accountID, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM ticket_views WHERE id = $1 AND account_id = $2`, id, accountID)
	if err != nil {
		return fmt.Errorf("delete view: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete view: %w", domain.ErrNotFound)
	}
	return nil
}
