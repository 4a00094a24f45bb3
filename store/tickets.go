package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// NewTicket is what creating a conversation's ticket stores.
type NewTicket struct {
	// ID is the new ticket's id ("": a new one), given when its workflow id derives from it.
	ID             string
	AccountID      string
	ConversationID string
	ChannelID      string
	ContactID      string
	Subject        string
	Description    string
	Pipeline       string
	Status         string
	Priority       string
	Properties     map[string]any
	RequiredSkills []string
	// Source is channel ("", the default) or, for POST /v1/tickets, api, import or integration.
	Source string
	// RoutingState is routing ("", the default) or unassigned for a ticket nobody routes.
	RoutingState string
	// WorkflowID is the workflow of a ticket without a channel (ConversationID and ChannelID ""); "" otherwise.
	WorkflowID string
	// Routing, when set, routes the ticket instead of its channel's routing.
	Routing *domain.Routing
	// RulesOutcome is what the account's rules decided (JSON), kept as the rules part of the
	// ticket's routing record; nil when they were not evaluated.
	RulesOutcome json.RawMessage
}

// CreateTicket creates the ticket of a conversation (or, with ConversationID "", a ticket
// without a channel). A conversation has one ticket: when it exists already,
// that ticket is returned and created is false.
func (s *Store) CreateTicket(ctx context.Context, t NewTicket) (domain.Ticket, bool, error) {
	props, err := json.Marshal(orEmpty(t.Properties))
	if err != nil { // NaN, say: no retry can store it, so the caller gets a permanent error
		return domain.Ticket{}, false, fmt.Errorf("create ticket: %w", domain.Invalid("properties", "cannot be stored: "+err.Error()))
	}
	var routing []byte
	if t.Routing != nil {
		if routing, err = json.Marshal(t.Routing); err != nil {
			return domain.Ticket{}, false, fmt.Errorf("create ticket: encode routing: %w", err)
		}
	}
	skills := t.RequiredSkills
	if skills == nil {
		skills = []string{}
	}
	var id string
	err = s.db.GetContext(ctx, &id,
		`INSERT INTO tickets (id, account_id, conversation_id, channel_id, contact_id, subject, description,
		                      pipeline, status, priority, properties, required_skills, source, routing_state, workflow_id, routing, rules_outcome)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, COALESCE(NULLIF($13, ''), 'channel'), COALESCE(NULLIF($14, ''), 'routing'), $15, $16, $17)
		 ON CONFLICT (conversation_id) DO NOTHING RETURNING id`,
		cmp.Or(t.ID, NewID("tkt")), t.AccountID, nullable(t.ConversationID), nullable(t.ChannelID), nullable(t.ContactID), t.Subject, t.Description,
		t.Pipeline, cmp.Or(t.Status, domain.TicketStatusNew), domain.LegacyTicketPriority(t.Priority), props, skills, t.Source, t.RoutingState, nullable(t.WorkflowID), routing, nullJSON(t.RulesOutcome))
	created := err == nil
	if errors.Is(err, sql.ErrNoRows) {
		err = s.db.GetContext(ctx, &id, `SELECT id FROM tickets WHERE conversation_id = $1 AND account_id = $2`,
			t.ConversationID, t.AccountID)
	}
	if err != nil {
		return domain.Ticket{}, false, fmt.Errorf("create ticket: %w", err)
	}
	if created {
		if err := s.AddTicketEvent(ctx, id, "TicketCreated", map[string]any{"conversation_id": t.ConversationID}); err != nil {
			return domain.Ticket{}, false, err
		}
	}
	ticket, err := s.Ticket(ctx, t.AccountID, id)
	return ticket, created, err
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// AddTicketEvent appends an event to a ticket's history.
func (s *Store) AddTicketEvent(ctx context.Context, ticketID, kind string, data map[string]any) error {
	b, err := json.Marshal(orEmpty(data))
	if err != nil {
		return fmt.Errorf("add ticket event: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO ticket_events (ticket_id, kind, data) VALUES ($1, $2, $3)`, ticketID, kind, b); err != nil {
		return fmt.Errorf("add ticket event %s: %w", kind, err)
	}
	return nil
}

// SetRoutingState records a ticket's routing state.
func (s *Store) SetRoutingState(ctx context.Context, accountID, ticketID, state string) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE tickets SET routing_state = $3, updated_at = now() WHERE id = $1 AND account_id = $2`,
		ticketID, accountID, state)
	if err != nil {
		return fmt.Errorf("set routing state: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set routing state: %w", domain.ErrNotFound)
	}
	return nil
}

// ticketSelect reads tickets with their conversation's workflow and channel's type; a ticket
// without a channel has "" for those and its own workflow id.
const ticketSelect = `SELECT t.id, COALESCE(t.conversation_id, '') AS conversation_id, COALESCE(c.workflow_id, t.workflow_id, '') AS workflow_id,
       COALESCE(t.channel_id, '') AS channel_id, COALESCE(ch.type, '') AS channel_type, t.contact_id,
       t.subject, t.description, t.pipeline, t.status, t.priority, t.properties, t.required_skills, t.tags,
       t.assignee_user_id, t.assignee_team_id, t.routing_state, t.reply_window, t.source, t.routing, t.created_at, t.updated_at,
       t.sla_policy_id, t.sla_due_at, t.sla_breached, t.follow_up_of,
       ARRAY(SELECT f.id FROM tickets f WHERE f.follow_up_of = t.id ORDER BY f.created_at, f.id) AS follow_ups
  FROM tickets t
  LEFT JOIN conversations c ON c.id = t.conversation_id
  LEFT JOIN channels ch ON ch.id = t.channel_id`

type ticketRow struct {
	ID             string          `db:"id"`
	ConversationID string          `db:"conversation_id"`
	WorkflowID     string          `db:"workflow_id"`
	ChannelID      string          `db:"channel_id"`
	ChannelType    string          `db:"channel_type"`
	ContactID      sql.NullString  `db:"contact_id"`
	Subject        string          `db:"subject"`
	Description    string          `db:"description"`
	Pipeline       string          `db:"pipeline"`
	Status         string          `db:"status"`
	Priority       string          `db:"priority"`
	Properties     json.RawMessage `db:"properties"`
	RequiredSkills textArray       `db:"required_skills"`
	Tags           textArray       `db:"tags"`
	AssigneeUserID sql.NullString  `db:"assignee_user_id"`
	AssigneeTeamID sql.NullString  `db:"assignee_team_id"`
	RoutingState   string          `db:"routing_state"`
	ReplyWindow    json.RawMessage `db:"reply_window"`
	Source         string          `db:"source"`
	Routing        []byte          `db:"routing"`
	CreatedAt      time.Time       `db:"created_at"`
	UpdatedAt      time.Time       `db:"updated_at"`
	SLAPolicyID    sql.NullString  `db:"sla_policy_id"`
	SLADueAt       sql.NullTime    `db:"sla_due_at"`
	SLABreached    bool            `db:"sla_breached"`
	FollowUpOf     sql.NullString  `db:"follow_up_of"`
	FollowUps      textArray       `db:"follow_ups"`
}

func (r ticketRow) ticket() (domain.Ticket, error) {
	t := domain.Ticket{
		ID: r.ID, ConversationID: r.ConversationID, WorkflowID: r.WorkflowID, ChannelID: r.ChannelID,
		ChannelType: r.ChannelType, ContactID: ptr(r.ContactID), Subject: r.Subject, Description: r.Description,
		Pipeline: r.Pipeline, Status: r.Status, Priority: r.Priority, RequiredSkills: []string(r.RequiredSkills), Tags: nonNil([]string(r.Tags)),
		Assignee:     domain.Assignee{UserID: ptr(r.AssigneeUserID), TeamID: ptr(r.AssigneeTeamID)},
		RoutingState: r.RoutingState, Source: r.Source, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		FollowUpOf: ptr(r.FollowUpOf), FollowUps: nonNil([]string(r.FollowUps)),
	}
	if t.RequiredSkills == nil {
		t.RequiredSkills = []string{}
	}
	if r.SLAPolicyID.Valid {
		t.SLA = &domain.TicketSLA{PolicyID: r.SLAPolicyID.String, Breached: r.SLABreached}
		if r.SLADueAt.Valid {
			due := r.SLADueAt.Time.UTC()
			t.SLA.DueAt = &due
		}
	}
	if err := json.Unmarshal(r.Properties, &t.Properties); err != nil {
		return t, fmt.Errorf("decode properties of %s: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.ReplyWindow, &t.ReplyWindow); err != nil {
		return t, fmt.Errorf("decode reply window of %s: %w", r.ID, err)
	}
	if len(r.Routing) > 0 {
		t.Routing = &domain.Routing{}
		if err := json.Unmarshal(r.Routing, t.Routing); err != nil {
			return t, fmt.Errorf("decode routing of %s: %w", r.ID, err)
		}
	}
	return t, nil
}

// Ticket returns one ticket of the account.
func (s *Store) Ticket(ctx context.Context, accountID, id string) (domain.Ticket, error) {
	var row ticketRow
	err := s.db.GetContext(ctx, &row, ticketSelect+` WHERE t.id = $1 AND t.account_id = $2`, id, accountID)
	if err != nil {
		return domain.Ticket{}, notFound(err, "get ticket")
	}
	return row.ticket()
}

// TicketFilter narrows a ticket list; empty fields match everything.
type TicketFilter struct {
	Status       string
	ChannelID    string
	AssigneeID   string
	RoutingState string
	ContactID    string
	Source       string
}

// ListTickets returns a page of the account's tickets, newest first, before the cursor id.
func (s *Store) ListTickets(ctx context.Context, accountID string, f TicketFilter, page Page) ([]domain.Ticket, error) {
	where := []string{"t.account_id = $1"}
	args := []any{accountID}
	add := func(cond string, v string) {
		if v == "" {
			return
		}
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	add("t.status = $%d", f.Status)
	add("t.channel_id = $%d", f.ChannelID)
	add("t.assignee_user_id = $%d", f.AssigneeID)
	add("t.routing_state = $%d", f.RoutingState)
	add("t.contact_id = $%d", f.ContactID)
	add("t.source = $%d", f.Source)
	add("t.id < $%d", page.After)
	args = append(args, page.Limit)
	q := fmt.Sprintf("%s WHERE %s ORDER BY t.id DESC LIMIT $%d", ticketSelect, strings.Join(where, " AND "), len(args))
	var rows []ticketRow
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	out := make([]domain.Ticket, 0, len(rows))
	for _, r := range rows {
		t, err := r.ticket()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// CountTickets counts the account's tickets.
func (s *Store) CountTickets(ctx context.Context, accountID string) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM tickets WHERE account_id = $1`, accountID); err != nil {
		return 0, fmt.Errorf("count tickets: %w", err)
	}
	return n, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// SetReplyWindow records the state of a ticket's reply window.
func (s *Store) SetReplyWindow(ctx context.Context, accountID, ticketID string, w domain.ReplyWindow) error {
	return s.setJSON(ctx, "tickets", "reply_window", accountID, ticketID, w)
}
