package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// ImportedMessage is one message of an imported conversation, with its original time.
type ImportedMessage struct {
	ExternalID string
	Direction  string
	Author     domain.Author
	Subject    string
	Text       string
	HTML       string
	SentAt     time.Time
	// Live leaves an inbound message undelivered, so the redrive loop hands it
	// to its conversation workflow as it does live traffic; history is stored delivered.
	Live bool
	// Attachments are stored with the message (GET /v1/messages/{id}/attachments), as live mail's are.
	Attachments []Attachment
}

// ImportedTicket is the ticket of an imported conversation.
type ImportedTicket struct {
	Subject       string
	Description   string
	Status        string
	Pipeline      string
	Priority      string
	Properties    map[string]any
	AssigneeEmail string
	CreatedAt     time.Time
	ClosedAt      *time.Time
	// Routed leaves the ticket to its conversation workflow to route (routing state routing, no assignee).
	Routed bool
}

// ImportedConversation is one conversation of an import.
type ImportedConversation struct {
	AccountID string
	ChannelID string
	ImportID  string
	ThreadKey string
	ContactID string
	Messages  []ImportedMessage
	// Ticket is created with the conversation when it has none; nil: no ticket.
	Ticket *ImportedTicket
}

// ImportOutcome says what importing a conversation created.
type ImportOutcome struct {
	ConversationID  string
	NewConversation bool
	NewMessages     int
	TicketCreated   bool
	// AssigneeUnknown is true when the ticket's assignee email is no user of the account.
	AssigneeUnknown bool
}

// ImportConversation stores an imported conversation, its messages and its
// ticket in one transaction, keeping their original times. It is idempotent:
// the conversation is found by its thread key, messages by their external ids,
// and an existing ticket is left as it is.
func (s *Store) ImportConversation(ctx context.Context, in ImportedConversation, workflowID WorkflowIDFor) (ImportOutcome, error) {
	var out ImportOutcome
	if len(in.Messages) == 0 {
		return out, fmt.Errorf("import conversation: %w", domain.Invalid("messages", "a conversation needs at least one message"))
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		out = ImportOutcome{}
		first := in.Messages[0].SentAt
		for _, m := range in.Messages {
			if m.SentAt.Before(first) {
				first = m.SentAt
			}
		}
		err := tx.QueryRowxContext(ctx,
			`INSERT INTO conversations (id, account_id, channel_id, thread_key, thread_hash, workflow_id, created_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7)
			 ON CONFLICT (channel_id, thread_hash) DO UPDATE SET thread_key = conversations.thread_key
			 RETURNING id, (xmax = 0) AS inserted`,
			NewID("conv"), in.AccountID, in.ChannelID, in.ThreadKey, keyHash(in.ThreadKey), workflowID(in.ChannelID, in.ThreadKey), first,
		).Scan(&out.ConversationID, &out.NewConversation)
		if isUniqueViolation(err, "conversations_workflow_id_key") {
			return fmt.Errorf("upsert conversation: %w", errRetryTx) // live mail opened it meanwhile
		}
		if err != nil {
			return fmt.Errorf("upsert conversation: %w", err)
		}
		for _, m := range in.Messages {
			n, err := insertImportedMessage(ctx, tx, in, out.ConversationID, m)
			if err != nil {
				return err
			}
			out.NewMessages += n
		}
		if in.Ticket == nil {
			return nil
		}
		return insertImportedTicket(ctx, tx, in, &out)
	})
	if err != nil {
		return ImportOutcome{}, fmt.Errorf("import conversation %q: %w", in.ThreadKey, err)
	}
	return out, nil
}

func insertImportedMessage(ctx context.Context, tx *sqlx.Tx, in ImportedConversation, conversationID string, m ImportedMessage) (int, error) {
	author, _ := json.Marshal(m.Author)
	status := domain.MessageReceived
	if m.Direction == domain.DirectionOutbound {
		status = domain.MessageSent
	}
	id := NewID("msg")
	res, err := tx.ExecContext(ctx,
		`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, author,
		                       subject, text, html, status, sent_at, delivered_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $13 THEN NULL ELSE now() END)
		 ON CONFLICT (channel_id, external_id) DO NOTHING`,
		id, in.AccountID, in.ChannelID, conversationID, m.ExternalID, m.Direction, author,
		m.Subject, m.Text, m.HTML, status, m.SentAt, m.Live && m.Direction == domain.DirectionInbound)
	if err != nil {
		return 0, fmt.Errorf("insert message %q: %w", m.ExternalID, err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if err := insertAttachments(ctx, tx, in.AccountID, id, m.Attachments); err != nil {
			return 0, fmt.Errorf("message %q: %w", m.ExternalID, err)
		}
	}
	return int(n), nil
}

func insertImportedTicket(ctx context.Context, tx *sqlx.Tx, in ImportedConversation, out *ImportOutcome) error {
	t := in.Ticket
	props := map[string]any{}
	for k, v := range t.Properties {
		props[k] = v
	}
	var assignee sql.NullString
	if email := strings.TrimSpace(t.AssigneeEmail); email != "" {
		err := tx.GetContext(ctx, &assignee.String,
			`SELECT id FROM users WHERE account_id = $1 AND lower(email) = lower($2)`, in.AccountID, email)
		switch {
		case err == nil:
			assignee.Valid = !t.Routed
		case errors.Is(err, sql.ErrNoRows):
			out.AssigneeUnknown = true
		default:
			return fmt.Errorf("find assignee: %w", err)
		}
		if !assignee.Valid {
			props["original_assignee_email"] = email
		}
	}
	routing := domain.RoutingUnassigned
	switch {
	case t.Routed:
		routing = domain.RoutingRouting
	case assignee.Valid:
		routing = domain.RoutingAssigned
	}
	updated := t.CreatedAt
	if t.ClosedAt != nil {
		updated = *t.ClosedAt
	}
	b, err := json.Marshal(props)
	if err != nil {
		return fmt.Errorf("encode ticket properties: %w", err)
	}
	var id string
	err = tx.GetContext(ctx, &id,
		`INSERT INTO tickets (id, account_id, conversation_id, channel_id, contact_id, subject, description, pipeline,
		                      status, priority, properties, assignee_user_id, routing_state, assigned_at, created_at, updated_at, source)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, CASE WHEN $12::text IS NULL THEN NULL ELSE $14::timestamptz END, $14, $15, 'import')
		 ON CONFLICT (conversation_id) DO NOTHING RETURNING id`,
		NewID("tkt"), in.AccountID, out.ConversationID, in.ChannelID, nullable(in.ContactID), t.Subject, t.Description,
		t.Pipeline, t.Status, domain.LegacyTicketPriority(t.Priority), b, assignee, routing, t.CreatedAt, updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the conversation has its ticket already
	}
	if err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	out.TicketCreated = true
	data, _ := json.Marshal(map[string]any{"conversation_id": out.ConversationID, "import_id": in.ImportID})
	if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_events (ticket_id, kind, data, created_at) VALUES ($1, 'TicketImported', $2, $3)`,
		id, data, t.CreatedAt); err != nil {
		return fmt.Errorf("add ticket event: %w", err)
	}
	if t.ClosedAt != nil && t.Status == domain.TicketStatusClosed {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_events (ticket_id, kind, data, created_at) VALUES ($1, 'TicketClosed', '{}', $2)`,
			id, *t.ClosedAt); err != nil {
			return fmt.Errorf("add ticket event: %w", err)
		}
	}
	return nil
}

// ImportPreview is what importing a conversation would find already stored (dry runs).
type ImportPreview struct {
	ConversationExists bool
	TicketExists       bool
	NewMessages        int
	ContactExists      bool
	AssigneeKnown      bool
}

// PreviewImport reads, without writing, what of an imported conversation is stored already.
func (s *Store) PreviewImport(ctx context.Context, in ImportedConversation, author domain.Author) (ImportPreview, error) {
	var p ImportPreview
	err := s.db.GetContext(ctx, &p.ConversationExists,
		`SELECT EXISTS (SELECT 1 FROM conversations WHERE channel_id = $1 AND thread_hash = $2)`, in.ChannelID, keyHash(in.ThreadKey))
	if err != nil {
		return p, fmt.Errorf("preview conversation: %w", err)
	}
	err = s.db.GetContext(ctx, &p.TicketExists,
		`SELECT EXISTS (SELECT 1 FROM tickets t JOIN conversations c ON c.id = t.conversation_id
		                 WHERE c.channel_id = $1 AND c.thread_hash = $2)`, in.ChannelID, keyHash(in.ThreadKey))
	if err != nil {
		return p, fmt.Errorf("preview ticket: %w", err)
	}
	ids := make([]string, 0, len(in.Messages))
	for _, m := range in.Messages {
		ids = append(ids, m.ExternalID)
	}
	var stored int
	if err := s.db.GetContext(ctx, &stored,
		`SELECT count(*) FROM messages WHERE channel_id = $1 AND external_id = ANY($2)`, in.ChannelID, ids); err != nil {
		return p, fmt.Errorf("preview messages: %w", err)
	}
	p.NewMessages = len(ids) - stored
	for _, id := range identitiesOf(in.ChannelID, author) {
		var found bool
		err := s.db.GetContext(ctx, &found,
			`SELECT EXISTS (SELECT 1 FROM contact_identities WHERE account_id = $1 AND kind = $2 AND value_hash = $3)
			     OR ($2 = 'email' AND EXISTS (SELECT 1 FROM contacts WHERE account_id = $1 AND lower(email) = $4))`,
			in.AccountID, id.kind, keyHash(id.value), id.value)
		if err != nil {
			return p, fmt.Errorf("preview contact: %w", err)
		}
		p.ContactExists = p.ContactExists || found
	}
	if in.Ticket != nil && strings.TrimSpace(in.Ticket.AssigneeEmail) != "" {
		err := s.db.GetContext(ctx, &p.AssigneeKnown,
			`SELECT EXISTS (SELECT 1 FROM users WHERE account_id = $1 AND lower(email) = lower($2))`, in.AccountID, strings.TrimSpace(in.Ticket.AssigneeEmail))
		if err != nil {
			return p, fmt.Errorf("preview assignee: %w", err)
		}
	}
	return p, nil
}

// SetContactPhone records a contact's phone number in its properties unless it has one.
func (s *Store) SetContactPhone(ctx context.Context, accountID, contactID, phone string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE contacts SET properties = properties || jsonb_build_object('phone', $3::text), updated_at = now()
		  WHERE id = $1 AND account_id = $2 AND NOT properties ? 'phone'`, contactID, accountID, phone)
	if err != nil {
		return fmt.Errorf("set contact phone: %w", err)
	}
	return nil
}
