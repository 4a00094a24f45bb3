package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// Survey states (csat_surveys.state).
const (
	CSATScheduled = "scheduled"
	CSATSent      = "sent"
	CSATFailed    = "failed"
	CSATCancelled = "cancelled"
	CSATAnswered  = "answered"
)

// ErrSurveyClosed means the survey takes no answer: its window is over, or it was never sent.
var ErrSurveyClosed = errors.New("the survey takes no more answers")

// TicketCSAT is the ticket's survey; nil when it has none.
func (s *Store) TicketCSAT(ctx context.Context, accountID, ticketID string) (*domain.CSAT, error) {
	var c domain.CSAT
	err := s.db.GetContext(ctx, &c, `SELECT state, reason, rating, comment, sent_at, answered_at
		  FROM csat_surveys WHERE ticket_id = $1 AND account_id = $2`, ticketID, accountID)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get ticket's survey: %w", err)
	}
	return &c, nil
}

// ScheduleCSAT schedules the survey of a ticket just solved, when its account sends surveys, and returns
// when its invitation is due; nil when none is (surveys off, or the ticket's survey went out already:
// one survey per ticket). A survey cancelled by a reopen is scheduled again.
func (s *Store) ScheduleCSAT(ctx context.Context, accountID, ticketID string) (*time.Time, error) {
	var due sql.NullTime
	err := s.db.GetContext(ctx, &due,
		`WITH acc AS (SELECT csat_enabled, csat_delay_seconds FROM accounts WHERE id = $2),
		      up AS (
		        INSERT INTO csat_surveys (ticket_id, account_id, channel_id)
		        SELECT t.id, t.account_id, COALESCE(t.channel_id, '') FROM tickets t, acc
		         WHERE t.id = $1 AND t.account_id = $2 AND t.status = 'solved' AND acc.csat_enabled
		        ON CONFLICT (ticket_id) DO UPDATE SET state = 'scheduled', reason = '', created_at = now(), message_id = ''
		         WHERE csat_surveys.state = 'cancelled'
		        RETURNING created_at)
		 SELECT up.created_at + make_interval(secs => acc.csat_delay_seconds) FROM up, acc`, ticketID, accountID)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("schedule survey: %w", err)
	}
	t := due.Time.UTC()
	return &t, nil
}

// CancelCSAT cancels the ticket's survey still waiting for its invitation, with the reason.
func (s *Store) CancelCSAT(ctx context.Context, accountID, ticketID, reason string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE csat_surveys SET state = 'cancelled', reason = $3
		  WHERE ticket_id = $1 AND account_id = $2 AND state = 'scheduled'`, ticketID, accountID, clipReason(reason))
	if err != nil {
		return fmt.Errorf("cancel survey: %w", err)
	}
	return nil
}

// FailCSAT marks the ticket's survey failed with the reason, unless it went out meanwhile.
func (s *Store) FailCSAT(ctx context.Context, accountID, ticketID, reason string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE csat_surveys SET state = 'failed', reason = $3
		  WHERE ticket_id = $1 AND account_id = $2 AND state = 'scheduled'`, ticketID, accountID, clipReason(reason))
	if err != nil {
		return fmt.Errorf("fail survey: %w", err)
	}
	return nil
}

// CSATTarget is what the invitation of a due survey needs to know of its ticket.
type CSATTarget struct {
	// Due is false when the survey is no longer to send (cancelled here, with the reason, or settled).
	Due            bool
	ChannelID      string
	ChannelType    string
	ConversationID string
	ContactEmail   string
	MessageID      string
}

// DueCSAT checks that the ticket's survey is still to send as its delay is over: the account still
// sends surveys and the ticket is solved, or closed by its solved window; otherwise it cancels the survey
// with the reason. A survey whose invitation was stored already returns that message (a repeat).
func (s *Store) DueCSAT(ctx context.Context, accountID, ticketID string) (CSATTarget, error) {
	var row struct {
		State     string         `db:"state"`
		MessageID string         `db:"message_id"`
		Enabled   bool           `db:"csat_enabled"`
		Status    string         `db:"status"`
		ChannelID sql.NullString `db:"channel_id"`
		ConvID    sql.NullString `db:"conversation_id"`
		ChType    sql.NullString `db:"type"`
		Email     sql.NullString `db:"email"`
		LastVia   sql.NullString `db:"last_via"`
	}
	err := s.db.GetContext(ctx, &row,
		`SELECT cs.state, cs.message_id, a.csat_enabled, t.status, t.channel_id, t.conversation_id, ch.type, c.email,
		        (SELECT e.via FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'TicketChanged'
		          ORDER BY e.id DESC LIMIT 1) AS last_via
		   FROM csat_surveys cs JOIN tickets t ON t.id = cs.ticket_id JOIN accounts a ON a.id = t.account_id
		   LEFT JOIN channels ch ON ch.id = t.channel_id LEFT JOIN contacts c ON c.id = t.contact_id
		  WHERE cs.ticket_id = $1 AND cs.account_id = $2`, ticketID, accountID)
	if isNoRows(err) {
		return CSATTarget{}, nil // the ticket was deleted (erased): nothing to send
	}
	if err != nil {
		return CSATTarget{}, fmt.Errorf("due survey: %w", err)
	}
	out := CSATTarget{ChannelID: row.ChannelID.String, ChannelType: row.ChType.String, ConversationID: row.ConvID.String,
		ContactEmail: row.Email.String, MessageID: row.MessageID}
	if row.State != CSATScheduled {
		return out, nil
	}
	reason := ""
	switch {
	case !row.Enabled:
		reason = "CSAT surveys were turned off for the account before the invitation went out"
	case row.Status == domain.TicketStatusSolved:
	case row.Status == domain.TicketStatusClosed && row.LastVia.String == "solved_timer":
	default:
		reason = "the ticket was " + row.Status + " before the invitation went out"
	}
	if reason != "" {
		return out, s.CancelCSAT(ctx, accountID, ticketID, reason)
	}
	out.Due = true
	return out, nil
}

// CSATInvited records the outbound message that carries the survey's invitation: its delivery's outcome
// is the survey's (surveySent, failSurvey).
func (s *Store) CSATInvited(ctx context.Context, accountID, ticketID, messageID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE csat_surveys SET message_id = $3
		  WHERE ticket_id = $1 AND account_id = $2 AND state = 'scheduled'`, ticketID, accountID, messageID)
	if err != nil {
		return fmt.Errorf("record survey invitation: %w", err)
	}
	return nil
}

// surveySent marks the survey whose invitation messageID was accepted by its channel sent.
func surveySent(ctx context.Context, db sqlx.ExecerContext, messageID string) error {
	if _, err := db.ExecContext(ctx, `UPDATE csat_surveys SET state = 'sent', reason = '', sent_at = COALESCE(sent_at, now())
		  WHERE message_id = $1 AND state IN ('scheduled', 'failed')`, messageID); err != nil {
		return fmt.Errorf("mark survey sent: %w", err)
	}
	return nil
}

// failSurvey marks the survey whose invitation messageID failed for good failed, with the delivery's reason.
func failSurvey(ctx context.Context, db sqlx.ExecerContext, messageID, reason string) error {
	if _, err := db.ExecContext(ctx, `UPDATE csat_surveys SET state = 'failed', reason = $2
		  WHERE message_id = $1 AND state = 'scheduled'`, messageID, "the invitation was not delivered: "+clipReason(reason)); err != nil {
		return fmt.Errorf("mark survey failed: %w", err)
	}
	return nil
}

// AnswerCSAT stores the customer's rating (1–5) and comment (nil keeps the one given before) on the
// ticket's survey; the last answer within window after the invitation wins. ErrNotFound when there is no
// such survey, ErrSurveyClosed when it was never sent or its window (since sent_at) is over.
func (s *Store) AnswerCSAT(ctx context.Context, accountID, ticketID string, rating int, comment *string, window time.Duration) (domain.CSAT, error) {
	var c domain.CSAT
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &c, `UPDATE csat_surveys SET state = 'answered', rating = $3, comment = COALESCE($4, comment), answered_at = now()
			  WHERE ticket_id = $1 AND account_id = $2 AND state IN ('sent', 'answered')
			    AND sent_at + make_interval(secs => $5) > now()
			  RETURNING state, reason, rating, comment, sent_at, answered_at`, ticketID, accountID, rating, comment, window.Seconds())
		if isNoRows(err) {
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM csat_surveys WHERE ticket_id = $1 AND account_id = $2`, ticketID, accountID); err != nil {
				return fmt.Errorf("look up survey: %w", err)
			}
			if n == 0 {
				return fmt.Errorf("survey of ticket %s: %w", ticketID, domain.ErrNotFound)
			}
			return ErrSurveyClosed
		}
		if err != nil {
			return fmt.Errorf("answer survey: %w", err)
		}
		return addEvent(ctx, tx, ticketID, "CSATAnswered", map[string]any{"rating": rating}, "", "csat")
	})
	return c, err
}

// AnswerCSATInThread stores a rating a customer tapped in a messaging app (a quick reply's payload): it is
// taken only for a survey whose ticket is on channelID and in the customer's own thread (threadKey).
func (s *Store) AnswerCSATInThread(ctx context.Context, channelID, threadKey, ticketID string, rating int, window time.Duration) (domain.CSAT, error) {
	var accountID string
	err := s.db.GetContext(ctx, &accountID, `SELECT cs.account_id FROM csat_surveys cs
		   JOIN tickets t ON t.id = cs.ticket_id JOIN conversations c ON c.id = t.conversation_id
		  WHERE cs.ticket_id = $1 AND t.channel_id = $2 AND c.thread_key = $3`, ticketID, channelID, threadKey)
	if err != nil {
		return domain.CSAT{}, notFound(err, "survey in thread")
	}
	return s.AnswerCSAT(ctx, accountID, ticketID, rating, nil, window)
}
