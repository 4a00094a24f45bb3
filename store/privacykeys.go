package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/routedesk/routedesk/domain"
)

// PrivacyKey is a workflow's wrapped key as PostgreSQL keeps it; Wrapped is nil once erased.
type PrivacyKey struct {
	ID         string `db:"id"`
	AccountID  string `db:"account_id"`
	WorkflowID string `db:"workflow_id"`
	Wrapped    []byte `db:"wrapped"`
	WrapKeyID  string `db:"wrap_key_id"`
}

// WorkflowAccount is the account a workflow id belongs to: its conversation's, its ticket's
// (a ticket without a channel) or its message's (a delivery); "" when none is known.
func (s *Store) WorkflowAccount(ctx context.Context, workflowID string) (string, error) {
	msgID := ""
	if rest, ok := strings.CutPrefix(workflowID, "delivery:"); ok {
		msgID, _, _ = strings.Cut(rest, ":")
	}
	var account string
	err := s.db.GetContext(ctx, &account,
		`SELECT account_id FROM conversations WHERE workflow_id = $1
		 UNION ALL SELECT account_id FROM tickets WHERE workflow_id = $1
		 UNION ALL SELECT account_id FROM messages WHERE id = $2
		 LIMIT 1`, workflowID, msgID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("account of workflow %s: %w", workflowID, err)
	}
	return account, nil
}

// LivePrivacyKey returns workflowID's live key; domain.ErrNotFound when it has none.
func (s *Store) LivePrivacyKey(ctx context.Context, workflowID string) (PrivacyKey, error) {
	var k PrivacyKey
	err := s.db.GetContext(ctx, &k, `SELECT id, COALESCE(account_id, '') AS account_id, workflow_id, wrapped, wrap_key_id
		FROM privacy_keys WHERE workflow_id = $1 AND erased_at IS NULL`, workflowID)
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("key of workflow %s: %w", workflowID, domain.ErrNotFound)
	}
	if err != nil {
		return k, fmt.Errorf("key of workflow %s: %w", workflowID, err)
	}
	return k, nil
}

// AddPrivacyKey stores k as its workflow's live key unless another process stored one first;
// it returns the live key either way.
func (s *Store) AddPrivacyKey(ctx context.Context, k PrivacyKey) (PrivacyKey, error) {
	_, err := s.db.ExecContext(ctx, `INSERT INTO privacy_keys (id, account_id, workflow_id, wrapped, wrap_key_id)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workflow_id) WHERE erased_at IS NULL DO NOTHING`,
		k.ID, nullable(k.AccountID), k.WorkflowID, k.Wrapped, k.WrapKeyID)
	if err != nil {
		return k, fmt.Errorf("add the key of workflow %s: %w", k.WorkflowID, err)
	}
	return s.LivePrivacyKey(ctx, k.WorkflowID)
}

// PrivacyKey returns the key named id, erased (Wrapped nil) or not; domain.ErrNotFound when there is none.
func (s *Store) PrivacyKey(ctx context.Context, id string) (PrivacyKey, error) {
	var k PrivacyKey
	err := s.db.GetContext(ctx, &k, `SELECT id, COALESCE(account_id, '') AS account_id, workflow_id, wrapped, wrap_key_id
		FROM privacy_keys WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("key %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return k, fmt.Errorf("key %s: %w", id, err)
	}
	return k, nil
}

// RewrapPrivacyKey replaces a live key's wrapping (after ROUTEDESK_SECRET_KEY was rotated).
func (s *Store) RewrapPrivacyKey(ctx context.Context, id string, wrapped []byte, wrapKeyID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE privacy_keys SET wrapped = $2, wrap_key_id = $3 WHERE id = $1 AND erased_at IS NULL`,
		id, wrapped, wrapKeyID)
	if err != nil {
		return fmt.Errorf("rewrap key %s: %w", id, err)
	}
	return nil
}
