package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// TicketAttachment gives a ticket without a channel the conversation a reply opens on a channel.
type TicketAttachment struct {
	AccountID string
	TicketID  string
	ChannelID string
	// ThreadKey and WorkflowID are the new conversation's.
	ThreadKey  string
	WorkflowID string
}

// AttachTicket opens a conversation on the channel for a ticket without a channel and
// attaches the ticket to it, in one transaction. A ticket already on that channel is
// returned as it is (a repeated reply); one on another channel is a conflict.
func (s *Store) AttachTicket(ctx context.Context, a TicketAttachment) (domain.Ticket, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var cur sql.NullString
		if err := tx.GetContext(ctx, &cur, `SELECT channel_id FROM tickets WHERE id = $1 AND account_id = $2 FOR UPDATE`,
			a.TicketID, a.AccountID); err != nil {
			return notFound(err, "lock ticket")
		}
		switch {
		case cur.Valid && cur.String == a.ChannelID:
			return nil
		case cur.Valid:
			return fmt.Errorf("the ticket's conversation is on channel %s: %w", cur.String, domain.ErrConflict)
		}
		var convID string
		if err := tx.GetContext(ctx, &convID,
			`INSERT INTO conversations (id, account_id, channel_id, thread_key, thread_hash, workflow_id)
			 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			NewID("conv"), a.AccountID, a.ChannelID, a.ThreadKey, keyHash(a.ThreadKey), a.WorkflowID); err != nil {
			return fmt.Errorf("open conversation: %w", err)
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE tickets SET conversation_id = $3, channel_id = $4, updated_at = now() WHERE id = $1 AND account_id = $2`,
			a.TicketID, a.AccountID, convID, a.ChannelID); err != nil {
			return fmt.Errorf("attach ticket: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO ticket_events (ticket_id, kind, data)
			VALUES ($1, 'TicketAttached', jsonb_build_object('conversation_id', $2::text, 'channel_id', $3::text))`,
			a.TicketID, convID, a.ChannelID)
		if err != nil {
			return fmt.Errorf("record attachment: %w", err)
		}
		return nil
	})
	if err != nil {
		return domain.Ticket{}, fmt.Errorf("attach ticket %s: %w", a.TicketID, err)
	}
	return s.Ticket(ctx, a.AccountID, a.TicketID)
}

// ContactChannelUser is the external user id a contact is known by on a channel (the first, by
// value, when merges gave it several), "" when it never wrote through the channel.
func (s *Store) ContactChannelUser(ctx context.Context, accountID, contactID, channelID string) (string, error) {
	var user string
	err := s.db.GetContext(ctx, &user,
		`SELECT substr(value, length($4) + 2) FROM contact_identities
		  WHERE account_id = $1 AND contact_id = $2 AND kind = $3 AND left(value, length($4) + 1) = $4 || ':'
		  ORDER BY value LIMIT 1`, accountID, contactID, IdentityChannelUser, channelID)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("external user id of contact %s on channel %s: %w", contactID, channelID, err)
	}
	return user, nil
}

// ToRoute is a ticket without a channel whose routing never started (Temporal was unreachable).
type ToRoute struct {
	AccountID  string `db:"account_id"`
	TicketID   string `db:"id"`
	WorkflowID string `db:"workflow_id"`
	Subject    string `db:"subject"`
	Attempts   int    `db:"route_attempts"`
}

// ClaimTicketsToRoute takes up to limit channel-less tickets still in routing that are older
// than grace, that have had fewer than maxAttempts starts and whose next attempt is due, and
// schedules their next attempt after backoff doubled per attempt (at most maxBackoff): a
// ticket whose workflow started leaves routing, so it is not taken again.
func (s *Store) ClaimTicketsToRoute(ctx context.Context, grace, backoff, maxBackoff time.Duration, maxAttempts, limit int) ([]ToRoute, error) {
	var out []ToRoute
	err := s.db.SelectContext(ctx, &out,
		`UPDATE tickets t SET route_attempts = t.route_attempts + 1,
		        route_next_at = now() + least($3 * power(2, least(t.route_attempts, 30)), $4) * interval '1 second'
		  WHERE t.id IN (SELECT id FROM tickets
		                  WHERE conversation_id IS NULL AND routing_state = 'routing' AND workflow_id IS NOT NULL
		                    AND created_at < now() - $1 * interval '1 second' AND route_attempts < $5
		                    AND COALESCE(route_next_at, '-infinity') <= now()
		                  ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		  RETURNING t.account_id, t.id, t.workflow_id, t.subject, t.route_attempts`,
		grace.Seconds(), limit, backoff.Seconds(), maxBackoff.Seconds(), maxAttempts)
	if err != nil {
		return nil, fmt.Errorf("claim tickets to route: %w", err)
	}
	return out, nil
}
