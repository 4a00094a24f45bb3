package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// Export is a contact's data export: its state and, once completed, an archive until it expires.
type Export struct {
	ID          string          `db:"id" json:"id"`
	AccountID   string          `db:"account_id" json:"-"`
	ContactID   string          `db:"contact_id" json:"contact_id"`
	RequestedBy string          `db:"requested_by" json:"requested_by"`
	WorkflowID  string          `db:"workflow_id" json:"workflow_id"`
	State       string          `db:"state" json:"state"`
	Counts      json.RawMessage `db:"counts" json:"counts"`
	SizeBytes   int64           `db:"size_bytes" json:"size_bytes"`
	RequestedAt time.Time       `db:"requested_at" json:"requested_at"`
	FinishedAt  *time.Time      `db:"finished_at" json:"finished_at"`
	ExpiresAt   *time.Time      `db:"expires_at" json:"expires_at"`
}

const exportColumns = `id, account_id, contact_id, requested_by, workflow_id, state, counts, size_bytes, requested_at, finished_at, expires_at`

// StartExport records an export of a live contact asked for by actor; domain.ErrNotFound: no such contact.
func (s *Store) StartExport(ctx context.Context, accountID, contactID, actor string, workflowID func(id string) string) (Export, error) {
	var e Export
	id := NewID("exp")
	err := s.db.GetContext(ctx, &e, `INSERT INTO privacy_exports (id, account_id, contact_id, requested_by, workflow_id)
		SELECT $1, $2, $3, $4, $5 FROM contacts WHERE id = $3 AND account_id = $2 AND merged_into IS NULL
		RETURNING `+exportColumns, id, accountID, contactID, actor, workflowID(id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("contact %s: %w", contactID, domain.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("start export: %w", err)
	}
	return e, s.RecordAudit(ctx, exportAudit(e))
}

func exportAudit(e Export) AuditEntry {
	return AuditEntry{AccountID: e.AccountID, Action: AuditExport, Ref: e.ID, Actor: e.RequestedBy, SubjectKind: "contact",
		SubjectID: e.ContactID, State: e.State, Counts: e.Counts}
}

// ExportByID returns an export of the account; domain.ErrNotFound when there is none.
func (s *Store) ExportByID(ctx context.Context, accountID, id string) (Export, error) {
	return s.oneExport(ctx, `SELECT `+exportColumns+` FROM privacy_exports WHERE account_id = $1 AND id = $2`, accountID, id)
}

// LatestExport returns a contact's newest export; domain.ErrNotFound when there is none.
func (s *Store) LatestExport(ctx context.Context, accountID, contactID string) (Export, error) {
	return s.oneExport(ctx, `SELECT `+exportColumns+` FROM privacy_exports WHERE account_id = $1 AND contact_id = $2
		ORDER BY id DESC LIMIT 1`, accountID, contactID)
}

func (s *Store) oneExport(ctx context.Context, q string, args ...any) (Export, error) {
	var e Export
	err := s.db.GetContext(ctx, &e, q, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("export: %w", domain.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("export: %w", err)
	}
	return e, nil
}

// ExportArchive returns a completed, unexpired export's zip archive.
func (s *Store) ExportArchive(ctx context.Context, accountID, id string) ([]byte, error) {
	var b []byte
	err := s.db.GetContext(ctx, &b, `SELECT archive FROM privacy_exports WHERE account_id = $1 AND id = $2
		AND state = 'completed' AND archive IS NOT NULL AND expires_at > now()`, accountID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("export archive %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("export archive %s: %w", id, err)
	}
	return b, nil
}

// FinishExport stores an export's archive and counts, valid until expires; a second call keeps the first archive.
func (s *Store) FinishExport(ctx context.Context, id string, archive []byte, counts json.RawMessage, expires time.Time) (Export, error) {
	var e Export
	_, err := s.db.ExecContext(ctx, `UPDATE privacy_exports SET state = 'completed', archive = $2, size_bytes = $3, counts = $4,
		finished_at = now(), expires_at = $5 WHERE id = $1 AND state = 'running'`, id, archive, len(archive), []byte(counts), expires)
	if err == nil {
		err = s.db.GetContext(ctx, &e, `SELECT `+exportColumns+` FROM privacy_exports WHERE id = $1`, id)
	}
	if err != nil {
		return e, fmt.Errorf("finish export %s: %w", id, err)
	}
	return e, s.RecordAudit(ctx, exportAudit(e))
}

// ExpireExport deletes an export's archive (its record stays, expired).
func (s *Store) ExpireExport(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE privacy_exports SET archive = NULL, state = 'expired' WHERE id = $1`, id); err != nil {
		return fmt.Errorf("expire export %s: %w", id, err)
	}
	return nil
}
