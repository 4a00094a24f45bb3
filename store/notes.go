package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// Note is an internal note on a ticket: for agents only, never sent to a channel.
type Note struct {
	ID           string    `db:"id" json:"id"`
	TicketID     string    `db:"ticket_id" json:"ticket_id"`
	AuthorUserID *string   `db:"author_user_id" json:"author_user_id"`
	Body         string    `db:"body" json:"body"`
	Mentions     textArray `db:"mentions" json:"mentions"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
}

// NewNote is a note to add: its author, text, and the users it mentions by id or by email.
type NewNote struct {
	AccountID, TicketID, AuthorUserID, Body string
	// MentionIDs must be users of the account (else 422 naming mentions); MentionEmails that match no user are plain text.
	MentionIDs, MentionEmails []string
}

// AddNote stores a note, its event on the ticket's audit trail, and a notification for each user it
// mentions (but its author); the notification of a user who is not available is queued for email.
func (s *Store) AddNote(ctx context.Context, n NewNote) (Note, error) {
	var out Note
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var ok bool
		if err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM tickets WHERE id = $1 AND account_id = $2)`, n.TicketID, n.AccountID); err != nil {
			return fmt.Errorf("look up ticket: %w", err)
		}
		if !ok {
			return fmt.Errorf("ticket %s: %w", n.TicketID, domain.ErrNotFound)
		}
		mentioned, err := mentionedUsers(ctx, tx, n)
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &out,
			`INSERT INTO ticket_notes (id, account_id, ticket_id, author_user_id, body, mentions) VALUES ($1, $2, $3, $4, $5, $6)
			 RETURNING id, ticket_id, author_user_id, body, mentions, created_at`,
			NewID("note"), n.AccountID, n.TicketID, nullable(n.AuthorUserID), n.Body, textArray(mentioned))
		if err != nil {
			return fmt.Errorf("insert note: %w", err)
		}
		for _, u := range mentioned {
			if u == n.AuthorUserID {
				continue
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO notifications (id, account_id, user_id, kind, ticket_id, note_id, actor_user_id, email)
				 SELECT $1, $2, u.id, 'mention', $4, $5, $6, CASE WHEN u.availability = 'available' THEN 'none' ELSE 'queued' END
				   FROM users u WHERE u.id = $3 AND u.account_id = $2`,
				NewID("ntf"), n.AccountID, u, n.TicketID, out.ID, nullable(n.AuthorUserID)); err != nil {
				return fmt.Errorf("notify %s: %w", u, err)
			}
		}
		return addEvent(ctx, tx, n.TicketID, "NoteAdded", map[string]any{"note_id": out.ID, "mentions": mentioned}, n.AuthorUserID, "POST /v1/tickets/{id}/notes")
	})
	if err != nil {
		return Note{}, fmt.Errorf("add note: %w", err)
	}
	return out, nil
}

// mentionedUsers resolves a note's mentions to the account's user ids, in id order.
func mentionedUsers(ctx context.Context, tx *sqlx.Tx, n NewNote) ([]string, error) {
	emails := make([]string, len(n.MentionEmails))
	for i, e := range n.MentionEmails {
		emails[i] = strings.ToLower(e)
	}
	var rows []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	if err := tx.SelectContext(ctx, &rows,
		`SELECT id, lower(email) AS email FROM users WHERE account_id = $1 AND (id = ANY($2) OR lower(email) = ANY($3)) ORDER BY id`,
		n.AccountID, nonNil(n.MentionIDs), nonNil(emails)); err != nil {
		return nil, fmt.Errorf("look up mentioned users: %w", err)
	}
	out := []string{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	for _, id := range n.MentionIDs {
		if !slices.Contains(out, id) {
			return nil, domain.Invalid("mentions", "user "+id+" does not exist in this account")
		}
	}
	return out, nil
}

// Notes lists a ticket's notes, oldest first, a page after the note id page.After.
func (s *Store) Notes(ctx context.Context, accountID, ticketID string, page Page) ([]Note, error) {
	out := []Note{}
	err := s.db.SelectContext(ctx, &out,
		`SELECT id, ticket_id, author_user_id, body, mentions, created_at FROM ticket_notes
		  WHERE account_id = $1 AND ticket_id = $2 AND ($3 = '' OR id > $3) ORDER BY id LIMIT $4`,
		accountID, ticketID, page.After, page.Limit)
	if err != nil {
		return nil, fmt.Errorf("list notes: %w", err)
	}
	return out, nil
}

// Notification is something a user is told about in the console: a mention in a note, for now.
type Notification struct {
	ID          string     `db:"id" json:"id"`
	Kind        string     `db:"kind" json:"kind"`
	TicketID    *string    `db:"ticket_id" json:"ticket_id"`
	NoteID      *string    `db:"note_id" json:"note_id"`
	ActorUserID *string    `db:"actor_user_id" json:"actor_user_id"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
	ReadAt      *time.Time `db:"read_at" json:"read_at"`
	// Email is none (the user was available), queued, sent or failed.
	Email      string `db:"email" json:"email"`
	EmailError string `db:"email_error" json:"email_error,omitempty"`
}

// Notifications lists a user's notifications, newest first, a page after the id page.After.
func (s *Store) Notifications(ctx context.Context, accountID, userID string, page Page) ([]Notification, error) {
	out := []Notification{}
	err := s.db.SelectContext(ctx, &out,
		`SELECT id, kind, ticket_id, note_id, actor_user_id, created_at, read_at, email, email_error FROM notifications
		  WHERE account_id = $1 AND user_id = $2 AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT $4`,
		accountID, userID, page.After, page.Limit)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// ReadNotification marks one of a user's notifications read.
func (s *Store) ReadNotification(ctx context.Context, accountID, userID, id string) (Notification, error) {
	var out Notification
	err := s.db.GetContext(ctx, &out,
		`UPDATE notifications SET read_at = COALESCE(read_at, now()) WHERE id = $1 AND account_id = $2 AND user_id = $3
		 RETURNING id, kind, ticket_id, note_id, actor_user_id, created_at, read_at, email, email_error`, id, accountID, userID)
	if err != nil {
		return out, notFound(err, "read notification")
	}
	return out, nil
}

// MentionEmail is a queued email telling a user who was not available that a note mentions them,
// or (Kind sla_warning, sla_breach) that a ticket's SLA target warned or breached (Detail says which).
type MentionEmail struct {
	ID        string `db:"id"`
	Kind      string `db:"kind"`
	Detail    string `db:"detail"`
	Recipient string `db:"recipient"`
	Name      string `db:"name"`
	TicketID  string `db:"ticket_id"`
	Subject   string `db:"subject"`
	Body      string `db:"body"`
	Author    string `db:"author"`
	Attempts  int    `db:"email_attempts"`
}

// ClaimMentionEmails takes up to limit due mention emails, holding each for hold before another claim may retry it.
func (s *Store) ClaimMentionEmails(ctx context.Context, limit int, hold time.Duration) ([]MentionEmail, error) {
	var out []MentionEmail
	err := s.db.SelectContext(ctx, &out,
		`WITH due AS (
		   SELECT id FROM notifications WHERE email = 'queued' AND email_next_at <= now()
		    ORDER BY email_next_at LIMIT $1 FOR UPDATE SKIP LOCKED)
		 UPDATE notifications n SET email_attempts = n.email_attempts + 1, email_next_at = now() + $2::interval
		   FROM due JOIN notifications nn ON nn.id = due.id JOIN users u ON u.id = nn.user_id JOIN tickets t ON t.id = nn.ticket_id
		        LEFT JOIN ticket_notes o ON o.id = nn.note_id LEFT JOIN users a ON a.id = o.author_user_id
		  WHERE n.id = due.id
		 RETURNING n.id, n.kind, n.detail, u.email AS recipient, u.name, t.id AS ticket_id, t.subject, COALESCE(o.body, '') AS body,
		           COALESCE(NULLIF(a.name, ''), a.email, 'routedesk') AS author, n.email_attempts`,
		limit, fmt.Sprintf("%d milliseconds", hold.Milliseconds()))
	if err != nil {
		return nil, fmt.Errorf("claim mention emails: %w", err)
	}
	return out, nil
}

// MentionEmailSent marks a mention email sent.
func (s *Store) MentionEmailSent(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE notifications SET email = 'sent', email_error = '' WHERE id = $1`, id); err != nil {
		return fmt.Errorf("mark mention email sent: %w", err)
	}
	return nil
}

// MentionEmailFailed records a failed attempt: retried at retryAt, or failed for good when giveUp.
func (s *Store) MentionEmailFailed(ctx context.Context, id, reason string, retryAt time.Time, giveUp bool) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE notifications SET email_error = $2, email_next_at = $3, email = CASE WHEN $4 THEN 'failed' ELSE email END WHERE id = $1`,
		id, reason, retryAt, giveUp)
	if err != nil {
		return fmt.Errorf("mark mention email failed: %w", err)
	}
	return nil
}
