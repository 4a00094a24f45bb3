package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Audit actions: the privacy operations the account's audit log records.
const (
	AuditErase     = "erase"
	AuditExport    = "export"
	AuditRetention = "retention"
	AuditRedact    = "redact"
)

// AuditActions are the actions an audit entry may have.
var AuditActions = []string{AuditErase, AuditExport, AuditRetention, AuditRedact}

// AuditEntry is one privacy operation on the account's audit log: who, when, what (opaque ids)
// and how many rows; it never holds personal data.
type AuditEntry struct {
	ID          string          `db:"id" json:"id"`
	AccountID   string          `db:"account_id" json:"-"`
	Action      string          `db:"action" json:"action"`
	Ref         string          `db:"ref" json:"ref"`
	Actor       string          `db:"actor" json:"actor"`
	SubjectKind string          `db:"subject_kind" json:"subject_kind"`
	SubjectID   string          `db:"subject_id" json:"subject_id"`
	State       string          `db:"state" json:"state"`
	Counts      json.RawMessage `db:"counts" json:"counts"`
	CreatedAt   time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time       `db:"updated_at" json:"updated_at"`
}

// AuditFilter narrows the audit log: an action, a time range of created_at (zero: open).
type AuditFilter struct {
	Action string
	Since  time.Time
	Until  time.Time
}

// RecordAudit adds an entry to the audit log, or updates the entry of the same operation
// (account, action, ref) with its new state and counts: a retried step never records twice.
func (s *Store) RecordAudit(ctx context.Context, e AuditEntry) error {
	return recordAudit(ctx, s.db, e)
}

// execer runs a statement: the store's database or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func recordAudit(ctx context.Context, db execer, e AuditEntry) error {
	if e.Counts == nil {
		e.Counts = json.RawMessage(`{}`)
	}
	if e.State == "" {
		e.State = "completed"
	}
	_, err := db.ExecContext(ctx, `INSERT INTO audit_log (id, account_id, action, ref, actor, subject_kind, subject_id, state, counts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (account_id, action, ref) DO UPDATE SET state = EXCLUDED.state, counts = audit_log.counts || EXCLUDED.counts, updated_at = now()`,
		NewID("aud"), e.AccountID, e.Action, e.Ref, e.Actor, e.SubjectKind, e.SubjectID, e.State, []byte(e.Counts))
	if err != nil {
		return fmt.Errorf("record %s on the audit log: %w", e.Action, err)
	}
	return nil
}

// AuditLog returns a page of an account's audit log, newest first, after the page's cursor.
func (s *Store) AuditLog(ctx context.Context, accountID string, f AuditFilter, page Page) ([]AuditEntry, error) {
	var since, until *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	if !f.Until.IsZero() {
		until = &f.Until
	}
	out := []AuditEntry{}
	err := s.db.SelectContext(ctx, &out, `SELECT id, account_id, action, ref, actor, subject_kind, subject_id, state, counts, created_at, updated_at
		FROM audit_log WHERE account_id = $1 AND ($2 = '' OR action = $2)
		  AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)
		  AND ($5 = '' OR id < $5)
		ORDER BY id DESC LIMIT $6`, accountID, f.Action, since, until, page.After, page.Limit)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}
