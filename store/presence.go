package store

import (
	"context"
	"fmt"
	"time"
)

// Presence is one user on a ticket: viewing it until ViewingUntil, typing a reply until TypingUntil.
type Presence struct {
	UserID       string     `db:"user_id" json:"user_id"`
	Name         string     `db:"name" json:"name"`
	Typing       bool       `db:"typing" json:"typing"`
	ViewingUntil time.Time  `db:"viewing_until" json:"viewing_until"`
	TypingUntil  *time.Time `db:"typing_until" json:"typing_until"`
}

// PresenceBeat is a heartbeat of a user on a ticket: viewing for View, typing for Typing (0: not typing), or leaving.
type PresenceBeat struct {
	AccountID, TicketID, UserID string
	View, Typing                time.Duration
	Leave                       bool
}

// BeatPresence records a heartbeat (the ticket must be the account's) and returns who is on the ticket now.
func (s *Store) BeatPresence(ctx context.Context, b PresenceBeat) ([]Presence, error) {
	if _, err := s.Ticket(ctx, b.AccountID, b.TicketID); err != nil {
		return nil, err
	}
	var err error
	if b.Leave {
		_, err = s.db.ExecContext(ctx, `DELETE FROM ticket_presence WHERE ticket_id = $1 AND user_id = $2`, b.TicketID, b.UserID)
	} else {
		_, err = s.db.ExecContext(ctx,
			`INSERT INTO ticket_presence (account_id, ticket_id, user_id, viewing_until, typing_until)
			 VALUES ($1, $2, $3, now() + make_interval(secs => $4), CASE WHEN $5 > 0 THEN now() + make_interval(secs => $5) END)
			 ON CONFLICT (ticket_id, user_id) DO UPDATE SET viewing_until = EXCLUDED.viewing_until, typing_until = EXCLUDED.typing_until`,
			b.AccountID, b.TicketID, b.UserID, b.View.Seconds(), b.Typing.Seconds())
	}
	if err != nil {
		return nil, fmt.Errorf("record presence: %w", err)
	}
	return s.TicketPresence(ctx, b.AccountID, b.TicketID)
}

// TicketPresence lists who is viewing the account's ticket now (and whether they are typing), by user id.
func (s *Store) TicketPresence(ctx context.Context, accountID, ticketID string) ([]Presence, error) {
	out := []Presence{}
	err := s.db.SelectContext(ctx, &out,
		`SELECT p.user_id, COALESCE(NULLIF(u.name, ''), u.email, '') AS name, COALESCE(p.typing_until > now(), false) AS typing,
		        p.viewing_until, CASE WHEN p.typing_until > now() THEN p.typing_until END AS typing_until
		   FROM ticket_presence p LEFT JOIN users u ON u.id = p.user_id AND u.account_id = p.account_id
		  WHERE p.account_id = $1 AND p.ticket_id = $2 AND p.viewing_until > now() ORDER BY p.user_id`, accountID, ticketID)
	if err != nil {
		return nil, fmt.Errorf("read presence: %w", err)
	}
	return out, nil
}
