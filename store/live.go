package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// LiveEvent is one event of an account's stream (GET /v1/events): a ticket created or changed, a message, a note,
// or a notification for one user. Ids grow in commit order within an account.
type LiveEvent struct {
	ID        int64           `db:"id" json:"id"`
	Kind      string          `db:"kind" json:"kind"`
	TicketID  *string         `db:"ticket_id" json:"ticket_id"`
	Data      json.RawMessage `db:"data" json:"data"`
	CreatedAt time.Time       `db:"created_at" json:"created_at"`
}

// LiveEvents returns up to limit events of the account after the id after, oldest first: the account's own and
// those addressed to userID (none but the account's when userID is empty).
func (s *Store) LiveEvents(ctx context.Context, accountID, userID string, after int64, limit int) ([]LiveEvent, error) {
	out := []LiveEvent{}
	err := s.db.SelectContext(ctx, &out,
		`SELECT id, kind, ticket_id, data, created_at FROM live_events
		  WHERE account_id = $1 AND id > $2 AND (user_id IS NULL OR user_id = NULLIF($3, ''))
		  ORDER BY id LIMIT $4`, accountID, after, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("read live events: %w", err)
	}
	return out, nil
}

// LiveCursor is the id of the account's newest event (0 without any): a stream with no Last-Event-ID starts after it.
func (s *Store) LiveCursor(ctx context.Context, accountID string) (int64, error) {
	var id int64
	if err := s.db.GetContext(ctx, &id, `SELECT COALESCE(max(id), 0) FROM live_events WHERE account_id = $1`, accountID); err != nil {
		return 0, fmt.Errorf("live cursor: %w", err)
	}
	return id, nil
}

// LiveEventKept tells whether the account's event id is still kept: a stream resuming after a pruned one has missed events.
func (s *Store) LiveEventKept(ctx context.Context, accountID string, id int64) (bool, error) {
	var ok bool
	if err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM live_events WHERE id = $1 AND account_id = $2)`, id, accountID); err != nil {
		return false, fmt.Errorf("look up live event: %w", err)
	}
	return ok, nil
}

// PruneLive deletes events older than keep, expired stream tickets and stale presence.
func (s *Store) PruneLive(ctx context.Context, keep time.Duration) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM live_events WHERE created_at < now() - make_interval(secs => $1)`, keep.Seconds()); err != nil {
		return fmt.Errorf("prune live events: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM live_stream_tickets WHERE expires_at < now()`); err != nil {
		return fmt.Errorf("prune stream tickets: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM ticket_presence WHERE viewing_until < now()`); err != nil {
		return fmt.Errorf("prune presence: %w", err)
	}
	return nil
}

// IssueStreamTicket returns a random ticket standing for the token tokenID on GET /v1/events until it expires after ttl.
func (s *Store) IssueStreamTicket(ctx context.Context, tokenID string, ttl time.Duration) (string, time.Time, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	ticket := "rdst_" + base64.RawURLEncoding.EncodeToString(b)
	var exp time.Time
	err := s.db.GetContext(ctx, &exp,
		`INSERT INTO live_stream_tickets (ticket_hash, token_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
		 RETURNING expires_at`, hashToken(ticket), tokenID, ttl.Seconds())
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue stream ticket: %w", err)
	}
	return ticket, exp.UTC(), nil
}

// RedeemStreamTicket returns the principal of an unexpired stream ticket whose token still exists (domain.ErrNotFound otherwise).
func (s *Store) RedeemStreamTicket(ctx context.Context, ticket string) (domain.Principal, error) {
	var row struct {
		TokenID   string         `db:"id"`
		AccountID string         `db:"account_id"`
		UserID    sql.NullString `db:"user_id"`
		Role      string         `db:"role"`
		Tier      string         `db:"tier"`
	}
	err := s.db.GetContext(ctx, &row,
		`SELECT t.id, t.account_id, t.user_id, t.role, a.tier
		   FROM live_stream_tickets st JOIN api_tokens t ON t.id = st.token_id JOIN accounts a ON a.id = t.account_id
		  WHERE st.ticket_hash = $1 AND st.expires_at > now()`, hashToken(ticket))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Principal{}, fmt.Errorf("redeem stream ticket: %w", domain.ErrNotFound)
	}
	if err != nil {
		return domain.Principal{}, fmt.Errorf("redeem stream ticket: %w", err)
	}
	return domain.Principal{AccountID: row.AccountID, Tier: row.Tier, Role: row.Role, UserID: row.UserID.String, TokenID: row.TokenID}, nil
}
