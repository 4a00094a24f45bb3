package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// Macro visibilities: personal macros are their owner's alone, shared ones the whole account's.
const (
	MacroPersonal = "personal"
	MacroShared   = "shared"
)

// Macro is a canned reply: a body with {{placeholders}} and the ticket actions applying it takes.
type Macro struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	Body       string       `json:"body"`
	Actions    MacroActions `json:"actions"`
	Visibility string       `json:"visibility"`
	// OwnerUserID is the user a personal macro belongs to; null for a shared one.
	OwnerUserID *string   `json:"owner_user_id"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// MacroActions are the ticket changes a macro makes when applied; absent ones change nothing.
type MacroActions struct {
	Status   *string        `json:"status,omitempty" validate:"omitempty,oneof=new open pending on_hold solved closed"`
	Priority *string        `json:"priority,omitempty" validate:"omitempty,min=1,max=100"`
	Tags     []string       `json:"tags,omitempty" validate:"max=50,dive,min=1,max=100"`
	Assignee *MacroAssignee `json:"assignee,omitempty"`
}

// MacroAssignee is the assignee a macro sets, as PATCH /v1/tickets/{id} takes it (null members unassign).
type MacroAssignee struct {
	UserID *string `json:"user_id" validate:"omitempty,max=100"`
	TeamID *string `json:"team_id" validate:"omitempty,max=100"`
}

// MacroWrite is a macro's content as created or replaced.
type MacroWrite struct {
	Name    string
	Body    string
	Actions MacroActions
	// OwnerUserID is set for a personal macro, "" for a shared one.
	OwnerUserID string
}

type macroRow struct {
	ID        string          `db:"id"`
	Owner     *string         `db:"owner_user_id"`
	Name      string          `db:"name"`
	Body      string          `db:"body"`
	Actions   json.RawMessage `db:"actions"`
	CreatedAt time.Time       `db:"created_at"`
	UpdatedAt time.Time       `db:"updated_at"`
}

const macroColumns = `id, owner_user_id, name, body, actions, created_at, updated_at`

// macroVisible limits a query to the macros the user ($2) sees: the shared ones and their own.
const macroVisible = `account_id = $1 AND (owner_user_id IS NULL OR owner_user_id = $2)`

func (r macroRow) macro() (Macro, error) {
	m := Macro{ID: r.ID, Name: r.Name, Body: r.Body, OwnerUserID: r.Owner, Visibility: MacroShared, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.Owner != nil {
		m.Visibility = MacroPersonal
	}
	if err := json.Unmarshal(r.Actions, &m.Actions); err != nil {
		return m, fmt.Errorf("decode actions of macro %s: %w", r.ID, err)
	}
	return m, nil
}

func macroNameConflict(err error, name string) error {
	if isUniqueViolation(err, "macros_account_owner_name") {
		return domain.Invalid("name", fmt.Sprintf("a macro named %q exists already", name))
	}
	return err
}

// CreateMacro stores a new macro of the account.
func (s *Store) CreateMacro(ctx context.Context, accountID string, w MacroWrite) (Macro, error) {
	actions, _ := json.Marshal(w.Actions)
	var row macroRow
	err := s.db.QueryRowxContext(ctx,
		`INSERT INTO macros (id, account_id, owner_user_id, name, body, actions) VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+macroColumns,
		NewID("mac"), accountID, nullable(w.OwnerUserID), w.Name, w.Body, actions).StructScan(&row)
	if err != nil {
		return Macro{}, fmt.Errorf("create macro: %w", macroNameConflict(err, w.Name))
	}
	return row.macro()
}

// Macro returns one macro the user sees (a shared one, or their own); ErrNotFound otherwise.
func (s *Store) Macro(ctx context.Context, accountID, userID, id string) (Macro, error) {
	var row macroRow
	if err := s.db.GetContext(ctx, &row, `SELECT `+macroColumns+` FROM macros WHERE `+macroVisible+` AND id = $3`, accountID, userID, id); err != nil {
		return Macro{}, notFound(err, "get macro")
	}
	return row.macro()
}

// ListMacros returns a page of the macros the user sees, oldest first; q keeps those whose name or body contains it (any case).
func (s *Store) ListMacros(ctx context.Context, accountID, userID, q string, page Page) ([]Macro, error) {
	var rows []macroRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+macroColumns+` FROM macros WHERE `+macroVisible+`
		   AND ($3 = '' OR name ILIKE '%' || $3 || '%' ESCAPE '\' OR body ILIKE '%' || $3 || '%' ESCAPE '\')
		   AND id > $4 ORDER BY id LIMIT $5`, accountID, userID, likeEscape(q), page.After, page.Limit); err != nil {
		return nil, fmt.Errorf("list macros: %w", err)
	}
	out := make([]Macro, 0, len(rows))
	for _, r := range rows {
		m, err := r.macro()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// likeEscape makes q match itself in a LIKE pattern (ESCAPE '\').
func likeEscape(q string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
}

// UpdateMacro replaces the content of a macro the user sees (its owner stays).
func (s *Store) UpdateMacro(ctx context.Context, accountID, userID, id string, w MacroWrite) (Macro, error) {
	actions, _ := json.Marshal(w.Actions)
	var row macroRow
	err := s.db.QueryRowxContext(ctx, `UPDATE macros SET name = $4, body = $5, actions = $6, updated_at = now()
		  WHERE `+macroVisible+` AND id = $3 RETURNING `+macroColumns, accountID, userID, id, w.Name, w.Body, actions).StructScan(&row)
	if err != nil {
		return Macro{}, notFound(macroNameConflict(err, w.Name), "update macro")
	}
	return row.macro()
}

// DeleteMacro removes a macro the user sees; ErrNotFound otherwise.
func (s *Store) DeleteMacro(ctx context.Context, accountID, userID, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM macros WHERE `+macroVisible+` AND id = $3`, accountID, userID, id)
	if err != nil {
		return fmt.Errorf("delete macro: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("macro %s: %w", id, domain.ErrNotFound)
	}
	return nil
}
