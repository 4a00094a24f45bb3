package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// ErrStatusMove refuses a status change the lifecycle does not allow from the ticket's current status
// (another change got there first): a conflict.
var ErrStatusMove = fmt.Errorf("status change not allowed: %w", domain.ErrConflict)

// TicketChange is an agent's change to a ticket; nil fields stay as they are.
type TicketChange struct {
	Status *string
	// AssignUser and AssignTeam reassign the ticket; a pointer to "" unassigns.
	AssignUser *string
	AssignTeam *string
	// ActorUserID is who made the change ("" for routedesk itself); Via is the route or rule it came from.
	ActorUserID string
	Via         string
	// OnReply makes it the change an agent's reply makes: AssignUser applies only to a ticket without an
	// assignee that is not solved or closed, Status only to a new ticket (checked under the ticket's lock; otherwise they stay as they are).
	OnReply bool
}

// ChangedTicket is a ticket after a change and the agent whose capacity the change freed, if any.
type ChangedTicket struct {
	Ticket domain.Ticket
	// Freed is the agent who had the ticket holding capacity before and no longer does.
	Freed string
	// CloseAt is when a solved ticket closes (its account's window after it was solved); nil otherwise.
	CloseAt *time.Time
}

// ChangeTicket applies an agent's change: a status must be one the lifecycle allows from the current one
// (ErrStatusMove); a manual assignment bypasses availability but neither capacity (ErrAtCapacity, a conflict)
// nor account membership. Solving or closing a ticket, or moving it to someone else, frees its agent's
// capacity; pending and on_hold keep it.
func (s *Store) ChangeTicket(ctx context.Context, accountID, ticketID string, ch TicketChange) (ChangedTicket, error) {
	if ch.Status != nil && !domain.ValidTicketStatus(*ch.Status) {
		return ChangedTicket{}, domain.Invalid("status", "must be one of "+domain.TicketStatusesText())
	}
	for attempt := 0; ; attempt++ {
		out, err := s.changeTicket(ctx, accountID, ticketID, ch)
		if errors.Is(err, errAssigneeMoved) && attempt < 10 {
			continue // a concurrent assignment moved the ticket between our look and our lock
		}
		if err != nil {
			return ChangedTicket{}, fmt.Errorf("change ticket: %w", err)
		}
		return out, nil
	}
}

var errAssigneeMoved = errors.New("the ticket's assignee changed meanwhile")

// checkMembers answers 422 naming the field when a new assignee or team is not in the account.
func checkMembers(ctx context.Context, tx *sqlx.Tx, accountID string, ch TicketChange) error {
	if ch.AssignUser != nil && *ch.AssignUser != "" {
		var ok bool
		if err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND account_id = $2)`, *ch.AssignUser, accountID); err != nil {
			return fmt.Errorf("look up assignee: %w", err)
		}
		if !ok {
			return domain.Invalid("assignee.user_id", "user "+*ch.AssignUser+" does not exist in this account")
		}
	}
	if ch.AssignTeam != nil && *ch.AssignTeam != "" {
		var ok bool
		if err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1 AND account_id = $2)`, *ch.AssignTeam, accountID); err != nil {
			return fmt.Errorf("look up team: %w", err)
		}
		if !ok {
			return domain.Invalid("assignee.team_id", "team "+*ch.AssignTeam+" does not exist in this account")
		}
	}
	return nil
}

func (s *Store) changeTicket(ctx context.Context, accountID, ticketID string, ch TicketChange) (ChangedTicket, error) {
	var out ChangedTicket
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		ch := ch // OnReply narrows it per attempt
		if err := checkMembers(ctx, tx, accountID, ch); err != nil {
			return err
		}
		// Agents first, then the ticket (the order every assignment locks in):
		// the new assignee and the current one, as last seen.
		var seen sql.NullString
		if err := tx.GetContext(ctx, &seen, `SELECT assignee_user_id FROM tickets WHERE id = $1 AND account_id = $2`, ticketID, accountID); err != nil {
			return notFound(err, "look up ticket")
		}
		var agents []string
		if seen.Valid {
			agents = append(agents, seen.String)
		}
		if ch.AssignUser != nil && *ch.AssignUser != "" {
			agents = append(agents, *ch.AssignUser)
		}
		if err := lockAgents(ctx, tx, accountID, agents); err != nil {
			return err
		}
		var cur struct {
			Status   string         `db:"status"`
			Assignee sql.NullString `db:"assignee_user_id"`
		}
		if err := tx.GetContext(ctx, &cur, `SELECT status, assignee_user_id FROM tickets WHERE id = $1 AND account_id = $2 FOR UPDATE`, ticketID, accountID); err != nil {
			return notFound(err, "lock ticket")
		}
		if cur.Assignee != seen {
			return errAssigneeMoved
		}
		if ch.OnReply {
			if cur.Assignee.Valid || !domain.HoldsCapacity(cur.Status) { // a solved or closed ticket is not taken on
				ch.AssignUser = nil
			}
			if cur.Status != domain.TicketStatusNew {
				ch.Status = nil
			}
			if ch.AssignUser == nil && ch.Status == nil {
				return nil // nothing left to change: no event
			}
		}
		status := cur.Status
		if ch.Status != nil {
			status = *ch.Status
		}
		if !domain.CanMoveTicket(cur.Status, status) {
			return fmt.Errorf("a %s ticket cannot become %s: %w", cur.Status, status, ErrStatusMove)
		}
		assignee := cur.Assignee.String
		if ch.AssignUser != nil {
			assignee = *ch.AssignUser
		}
		holds, held := domain.HoldsCapacity(status), domain.HoldsCapacity(cur.Status)
		if assignee != "" && holds && (assignee != cur.Assignee.String || !held) { // the agent takes on a ticket they did not hold
			if err := checkRoom(ctx, tx, assignee, ticketID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx,
			`UPDATE tickets SET status = $3,
			        assignee_user_id = $4,
			        assignee_team_id = CASE WHEN $6 THEN NULLIF($5, '') ELSE assignee_team_id END,
			        routing_state = CASE WHEN $4::text IS NOT NULL THEN 'assigned'
			                             WHEN $7 OR ($3 IN ('solved', 'closed') AND routing_state IN ('waiting_for_agent', 'routing')) THEN 'unassigned'
			                             ELSE routing_state END,
			        previous_assignee_user_id = CASE WHEN assignee_user_id IS DISTINCT FROM $4 THEN assignee_user_id ELSE previous_assignee_user_id END,
			        assigned_at = CASE WHEN assignee_user_id IS DISTINCT FROM $4 THEN now() ELSE assigned_at END,
			        waiting_since = CASE WHEN $4::text IS NOT NULL OR $3 IN ('solved', 'closed') THEN NULL ELSE waiting_since END,
			        solved_at = CASE WHEN $3 = 'solved' AND status <> 'solved' THEN now() WHEN $3 = 'solved' THEN solved_at END,
			        updated_at = now()
			  WHERE id = $1 AND account_id = $2`,
			ticketID, accountID, status, nullable(assignee), deref(ch.AssignTeam), ch.AssignTeam != nil, ch.AssignUser != nil)
		if err != nil {
			return fmt.Errorf("update ticket: %w", err)
		}
		if held && cur.Assignee.Valid && (!holds || assignee != cur.Assignee.String) {
			out.Freed = cur.Assignee.String
		}
		data := map[string]any{"status": status, "assignee_user_id": assignee}
		if status != cur.Status {
			data["from_status"] = cur.Status
		}
		if assignee != cur.Assignee.String {
			data["from_assignee_user_id"] = cur.Assignee.String
		}
		return addEvent(ctx, tx, ticketID, "TicketChanged", data, ch.ActorUserID, ch.Via)
	})
	if err != nil {
		return ChangedTicket{}, err
	}
	if out.Ticket, err = s.Ticket(ctx, accountID, ticketID); err != nil {
		return out, err
	}
	if out.Ticket.Status == domain.TicketStatusSolved {
		out.CloseAt, err = s.closeAt(ctx, accountID, ticketID)
	}
	return out, err
}

// closeAt is when a solved ticket closes: its account's solved window after it was solved.
func (s *Store) closeAt(ctx context.Context, accountID, ticketID string) (*time.Time, error) {
	var at sql.NullTime
	err := s.db.GetContext(ctx, &at,
		`SELECT t.solved_at + make_interval(secs => a.solved_close_after_seconds)
		   FROM tickets t JOIN accounts a ON a.id = t.account_id
		  WHERE t.id = $1 AND t.account_id = $2 AND t.status = 'solved'`, ticketID, accountID)
	if isNoRows(err) || (err == nil && !at.Valid) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("solved ticket's closing time: %w", err)
	}
	t := at.Time.UTC()
	return &t, nil
}

// addEvent appends an event to a ticket's audit trail within tx.
func addEvent(ctx context.Context, tx *sqlx.Tx, ticketID, kind string, data map[string]any, actor, via string) error {
	b, err := json.Marshal(orEmpty(data))
	if err != nil {
		return fmt.Errorf("encode %s event: %w", kind, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_events (ticket_id, kind, data, actor_user_id, via) VALUES ($1, $2, $3, $4, $5)`,
		ticketID, kind, b, nullable(actor), via); err != nil {
		return fmt.Errorf("add ticket event %s: %w", kind, err)
	}
	return nil
}

// Reopen sets a closed ticket back to open and returns the agent who had it (conversation histories from
// before the lifecycle; ReopenOnMessage since).
func (s *Store) Reopen(ctx context.Context, accountID, ticketID string) (string, error) {
	var prev sql.NullString
	err := s.db.QueryRowxContext(ctx,
		`UPDATE tickets SET status = 'open', routing_state = 'routing', previous_assignee_user_id = assignee_user_id,
		        assignee_user_id = NULL, solved_at = NULL, updated_at = now()
		  WHERE id = $1 AND account_id = $2 AND status = 'closed'
		  RETURNING previous_assignee_user_id`, ticketID, accountID).Scan(&prev)
	if isNoRows(err) {
		return "", nil // not closed (a repeat of this activity): nothing to do
	}
	if err != nil {
		return "", fmt.Errorf("reopen ticket: %w", err)
	}
	if err := s.AddTicketEvent(ctx, ticketID, "TicketReopened", map[string]any{"previous_assignee_user_id": prev.String}); err != nil {
		return "", err
	}
	return prev.String, nil
}

// Reopened is what a customer's message did to a ticket's status.
type Reopened struct {
	// Status is the ticket's status after the message.
	Status string
	// Reroute says the ticket lost its agent and is routed again, PreviousAssignee first.
	Reroute          bool
	PreviousAssignee string
}

// ReopenOnMessage follows a customer's message: a pending ticket goes back to open with its agent (who kept
// its capacity); a solved one (or a closed one whose conversation predates follow-ups) goes back to open
// and is routed again, its previous agent first. Any other status stays as it is.
func (s *Store) ReopenOnMessage(ctx context.Context, accountID, ticketID string) (Reopened, error) {
	var out Reopened
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var cur struct {
			Status   string         `db:"status"`
			Assignee sql.NullString `db:"assignee_user_id"`
		}
		if err := tx.GetContext(ctx, &cur, `SELECT status, assignee_user_id FROM tickets WHERE id = $1 AND account_id = $2 FOR UPDATE`,
			ticketID, accountID); err != nil {
			return notFound(err, "lock ticket")
		}
		out.Status = cur.Status
		switch cur.Status {
		case domain.TicketStatusPending:
			if _, err := tx.ExecContext(ctx, `UPDATE tickets SET status = 'open', updated_at = now() WHERE id = $1`, ticketID); err != nil {
				return fmt.Errorf("reopen pending ticket: %w", err)
			}
		case domain.TicketStatusSolved, domain.TicketStatusClosed:
			if _, err := tx.ExecContext(ctx,
				`UPDATE tickets SET status = 'open', routing_state = 'routing', previous_assignee_user_id = assignee_user_id,
				        assignee_user_id = NULL, solved_at = NULL, updated_at = now() WHERE id = $1`, ticketID); err != nil {
				return fmt.Errorf("reopen ticket: %w", err)
			}
			out.Reroute, out.PreviousAssignee = true, cur.Assignee.String
		default:
			return nil
		}
		out.Status = domain.TicketStatusOpen
		return addEvent(ctx, tx, ticketID, "TicketReopened", map[string]any{"from_status": cur.Status,
			"previous_assignee_user_id": cur.Assignee.String}, "", "customer_message")
	})
	if err != nil {
		return Reopened{}, fmt.Errorf("reopen on message: %w", err)
	}
	return out, nil
}

// CloseSolved closes a ticket solved long enough ago (its account's window); it returns the ticket's
// status after, which stays whatever it is when the ticket is no longer solved or not yet due.
func (s *Store) CloseSolved(ctx context.Context, accountID, ticketID string) (string, error) {
	var status string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &status,
			`UPDATE tickets t SET status = 'closed', updated_at = now()
			   FROM accounts a
			  WHERE t.id = $1 AND t.account_id = $2 AND a.id = t.account_id AND t.status = 'solved'
			    AND t.solved_at + make_interval(secs => a.solved_close_after_seconds) <= now()
			  RETURNING t.status`, ticketID, accountID)
		if isNoRows(err) {
			return notFound(tx.GetContext(ctx, &status, `SELECT status FROM tickets WHERE id = $1 AND account_id = $2`, ticketID, accountID), "look up ticket")
		}
		if err != nil {
			return fmt.Errorf("close solved ticket: %w", err)
		}
		return addEvent(ctx, tx, ticketID, "TicketChanged", map[string]any{"status": "closed", "from_status": "solved"}, "", "solved_timer")
	})
	return status, err
}

// TicketEvent is one entry of a ticket's audit trail.
type TicketEvent struct {
	ID          int64           `db:"id" json:"id"`
	Kind        string          `db:"kind" json:"kind"`
	Data        json.RawMessage `db:"data" json:"data"`
	ActorUserID *string         `db:"actor_user_id" json:"actor_user_id"`
	Via         string          `db:"via" json:"via"`
	CreatedAt   time.Time       `db:"created_at" json:"created_at"`
}

// TicketEvents lists a ticket's audit trail, oldest first, a page after the event id page.After.
func (s *Store) TicketEvents(ctx context.Context, accountID, ticketID string, page Page) ([]TicketEvent, error) {
	var after int64
	if page.After != "" {
		n, err := strconv.ParseInt(page.After, 10, 64)
		if err != nil || n < 0 {
			return nil, domain.Invalid("cursor", "is not a cursor this API returned")
		}
		after = n
	}
	out := []TicketEvent{}
	err := s.db.SelectContext(ctx, &out,
		`SELECT e.id, e.kind, e.data, e.actor_user_id, e.via, e.created_at
		   FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
		  WHERE e.ticket_id = $1 AND t.account_id = $2 AND e.id > $3
		  ORDER BY e.id LIMIT $4`, ticketID, accountID, after, page.Limit)
	if err != nil {
		return nil, fmt.Errorf("list ticket events: %w", err)
	}
	return out, nil
}
