package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// CreateAccount creates an account and an admin token for it, returning the token.
func (s *Store) CreateAccount(ctx context.Context, name, tier string, isDefault bool) (domain.Account, string, error) {
	acc := domain.Account{ID: NewID("acc"), Name: name, Tier: tier}
	token := NewToken()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.QueryRowxContext(ctx,
			`INSERT INTO accounts (id, name, tier, is_default) VALUES ($1, $2, $3, $4)
			 RETURNING id, name, tier, timezone, created_at`,
			acc.ID, name, tier, isDefault).StructScan(&acc)
		if err != nil {
			if isUniqueViolation(err, "accounts_one_default") {
				return fmt.Errorf("insert account: default account exists: %w", domain.ErrConflict)
			}
			return fmt.Errorf("insert account: %w", err)
		}
		return insertToken(ctx, tx, acc.ID, "", domain.RoleAdmin, token, "initial admin token")
	})
	if err != nil {
		return domain.Account{}, "", fmt.Errorf("create account: %w", err)
	}
	return acc, token, nil
}

// Account returns one account by id.
func (s *Store) Account(ctx context.Context, id string) (domain.Account, error) {
	var acc domain.Account
	err := s.db.GetContext(ctx, &acc, `SELECT id, name, tier, timezone, created_at FROM accounts WHERE id = $1`, id)
	if err != nil {
		return acc, notFound(err, "get account")
	}
	return acc, nil
}

// DefaultAccount returns the account `routedesk dev` created, or ErrNotFound.
func (s *Store) DefaultAccount(ctx context.Context) (domain.Account, error) {
	var acc domain.Account
	err := s.db.GetContext(ctx, &acc, `SELECT id, name, tier, timezone, created_at FROM accounts WHERE is_default`)
	if err != nil {
		return acc, notFound(err, "get default account")
	}
	return acc, nil
}

// EnsureAdminToken stores token as an admin token of the account unless it exists already.
func (s *Store) EnsureAdminToken(ctx context.Context, accountID, token string) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO api_tokens (id, account_id, role, token_hash, name) VALUES ($1, $2, 'admin', $3, 'dev token')
		 ON CONFLICT (token_hash) DO NOTHING`, NewID("tok"), accountID, hashToken(token))
	if err != nil {
		return fmt.Errorf("ensure admin token: %w", err)
	}
	var owner string
	if err := s.db.GetContext(ctx, &owner, `SELECT account_id FROM api_tokens WHERE token_hash = $1`, hashToken(token)); err != nil {
		return fmt.Errorf("ensure admin token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(owner), []byte(accountID)) != 1 {
		return fmt.Errorf("ensure admin token: the token belongs to another account: %w", domain.ErrConflict)
	}
	return nil
}

// CreateUserToken creates a token of role (agent or admin) bound to a user of the account.
func (s *Store) CreateUserToken(ctx context.Context, accountID, userID, role string) (string, error) {
	token := NewToken()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND account_id = $2)`, userID, accountID); err != nil {
			return fmt.Errorf("look up user: %w", err)
		}
		if !exists {
			return fmt.Errorf("user %s: %w", userID, domain.ErrNotFound)
		}
		return insertToken(ctx, tx, accountID, userID, role, token, role+" token")
	})
	if err != nil {
		return "", fmt.Errorf("create user token: %w", err)
	}
	return token, nil
}

func insertToken(ctx context.Context, tx *sqlx.Tx, accountID, userID, role, token, name string) error {
	var uid sql.NullString
	if userID != "" {
		uid = sql.NullString{String: userID, Valid: true}
	}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO api_tokens (id, account_id, user_id, role, token_hash, name) VALUES ($1, $2, $3, $4, $5, $6)`,
		NewID("tok"), accountID, uid, role, hashToken(token), name)
	if err != nil {
		return fmt.Errorf("insert token: %w", err)
	}
	return nil
}

// Authenticate resolves a bearer token to its principal, or ErrNotFound.
func (s *Store) Authenticate(ctx context.Context, token string) (domain.Principal, error) {
	var row struct {
		TokenID   string         `db:"id"`
		AccountID string         `db:"account_id"`
		UserID    sql.NullString `db:"user_id"`
		Role      string         `db:"role"`
		Tier      string         `db:"tier"`
	}
	err := s.db.GetContext(ctx, &row,
		`SELECT t.id, t.account_id, t.user_id, t.role, a.tier
		   FROM api_tokens t JOIN accounts a ON a.id = t.account_id
		  WHERE t.token_hash = $1`, hashToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Principal{}, fmt.Errorf("authenticate: %w", domain.ErrNotFound)
	}
	if err != nil {
		return domain.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	return domain.Principal{
		AccountID: row.AccountID, Tier: row.Tier, Role: row.Role,
		UserID: row.UserID.String, TokenID: row.TokenID,
	}, nil
}

// AccountSettings are an account's settings (GET/PATCH /v1/account/settings).
type AccountSettings struct {
	// SolvedCloseAfterSeconds is how long a solved ticket stays solved before it closes (default 4 days).
	SolvedCloseAfterSeconds int `json:"solved_close_after_seconds" db:"solved_close_after_seconds"`
	// CSATEnabled says a solved ticket's customer is sent a satisfaction survey (default on).
	CSATEnabled bool `json:"csat_enabled" db:"csat_enabled"`
	// CSATDelaySeconds is how long after the ticket is solved the survey's invitation goes out (default 1 hour).
	CSATDelaySeconds int `json:"csat_delay_seconds" db:"csat_delay_seconds"`
}

// accountSettingsColumns are the columns of AccountSettings.
const accountSettingsColumns = `solved_close_after_seconds, csat_enabled, csat_delay_seconds`

// AccountSettings reads an account's settings.
func (s *Store) AccountSettings(ctx context.Context, accountID string) (AccountSettings, error) {
	var st AccountSettings
	err := s.db.GetContext(ctx, &st, `SELECT `+accountSettingsColumns+` FROM accounts WHERE id = $1`, accountID)
	if err != nil {
		return st, notFound(err, "get account settings")
	}
	return st, nil
}

// SetAccountSettings stores an account's settings and returns them as stored.
func (s *Store) SetAccountSettings(ctx context.Context, accountID string, st AccountSettings) (AccountSettings, error) {
	var out AccountSettings
	err := s.db.GetContext(ctx, &out,
		`UPDATE accounts SET solved_close_after_seconds = $2, csat_enabled = $3, csat_delay_seconds = $4
		  WHERE id = $1 RETURNING `+accountSettingsColumns,
		accountID, st.SolvedCloseAfterSeconds, st.CSATEnabled, st.CSATDelaySeconds)
	if err != nil {
		return out, notFound(err, "set account settings")
	}
	return out, nil
}
