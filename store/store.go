// Package store is routedesk's PostgreSQL system of record: accounts, tokens,
// channels, contacts, conversations, messages and tickets. Every query that
// reads or changes an account's data is scoped by the account's id.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/migrations"
	"github.com/routedesk/routedesk/secrets"
)

// ErrUnreachable means PostgreSQL could not be reached at all.
var ErrUnreachable = errors.New("PostgreSQL is unreachable")

// Store is the PostgreSQL data access layer.
type Store struct {
	db  *sqlx.DB
	box *secrets.Box
}

// Open connects to the database of databaseURL with the default pool (DefaultPool),
// creating the database first if it does not exist. box seals channel secrets;
// it may be nil for processes that never read or write channel configuration secrets.
func Open(ctx context.Context, databaseURL string, box *secrets.Box) (*Store, error) {
	return OpenPool(ctx, databaseURL, box, DefaultPool())
}

// OpenPool is Open with the connection pool sized by pool.
func OpenPool(ctx context.Context, databaseURL string, box *secrets.Box, pool Pool) (*Store, error) {
	if err := pool.Validate(); err != nil {
		return nil, err
	}
	if err := ensureDatabase(ctx, databaseURL); err != nil {
		return nil, err
	}
	db, err := sqlx.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	pool.apply(db)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w at %s: %w", ErrUnreachable, Redact(databaseURL), err)
	}
	return &Store{db: db, box: box}, nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// DB exposes the connection pool to tests and tools.
func (s *Store) DB() *sqlx.DB { return s.db }

func (s *Store) migrationProvider() (*goose.Provider, error) {
	p, err := goose.NewProvider(goose.DialectPostgres, s.db.DB, migrations.FS)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration and returns how many ran.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	p, err := s.migrationProvider()
	if err != nil {
		return 0, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("apply migrations: %w", err)
	}
	return len(results), nil
}

// CheckSchema fails when migrations are pending, naming the command that applies them.
func (s *Store) CheckSchema(ctx context.Context) error {
	p, err := s.migrationProvider()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("check migrations: %w", err)
	}
	if pending {
		return errors.New("database schema is out of date: run `routedesk migrate` first")
	}
	return nil
}

// ensureDatabase creates the database named in databaseURL when it is missing.
func ensureDatabase(ctx context.Context, databaseURL string) error {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	name := cfg.Database
	if name == "" || name == "postgres" {
		return nil
	}
	cfg.Database = "postgres"
	connectCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(connectCtx, cfg)
	if err != nil {
		return fmt.Errorf("%w at %s: %w", ErrUnreachable, Redact(databaseURL), err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created concurrently
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// Redact hides the password of a database URL for logs and error messages.
func Redact(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil || u.User == nil {
		return databaseURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// isUniqueViolation reports a PostgreSQL unique_violation, optionally on one constraint.
func isUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// isForeignKeyViolation reports a PostgreSQL foreign_key_violation on constraint.
func isForeignKeyViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503" && pgErr.ConstraintName == constraint
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// notFound maps sql.ErrNoRows to domain.ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, domain.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, fn)
		if err == nil || !retryableTx(err) || attempt == txAttempts {
			return err
		}
		// PostgreSQL broke a deadlock (or a serialization conflict) by aborting this
		// transaction, or it lost an insert race: nothing of it was kept, so run it
		// again after a short, jittered pause.
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt)*20*time.Millisecond + time.Duration(rand.IntN(20))*time.Millisecond):
		}
	}
}

// txAttempts bounds how often inTx runs a transaction PostgreSQL aborted to break a deadlock.
const txAttempts = 4

func (s *Store) tryTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryableTx reports whether PostgreSQL aborted a transaction that may simply
// run again: deadlock_detected (40P01) or serialization_failure (40001).
func retryableTx(err error) bool {
	var pgErr *pgconn.PgError
	return errors.Is(err, errRetryTx) || errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// errRetryTx marks a transaction that lost a race it can win by running again
// (a concurrent insert committed the row it was about to insert).
var errRetryTx = errors.New("lost an insert race; run the transaction again")

// setJSON sets one jsonb column of an account's row; table and column are
// constants of the caller, never input.
func (s *Store) setJSON(ctx context.Context, table, column, accountID, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("set %s.%s: %w", table, column, err)
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE `+table+` SET `+column+` = $3, updated_at = now() WHERE id = $1 AND account_id = $2`, id, accountID, b)
	if err != nil {
		return fmt.Errorf("set %s.%s: %w", table, column, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set %s.%s of %s: %w", table, column, id, domain.ErrNotFound)
	}
	return nil
}
