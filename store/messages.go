package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// Inbound is a customer message as it arrives on a channel.
type Inbound struct {
	AccountID  string
	ChannelID  string
	ThreadKey  string
	ExternalID string
	Author     domain.Author
	Subject    string
	Text       string
	HTML       string
	SentAt     time.Time
	// Submission is stored with the message when it is a form submission.
	Submission *domain.Submission
	// Quiet stores the message on its conversation as delivered, without waking the workflow
	// (a completed call when the conversation has no open ticket).
	Quiet bool
	// Properties are what the channel knows about the message (chat: outside_hours); the first message's become its ticket's.
	Properties map[string]any
	// ConversationID, when set, is the conversation of another channel the message answers (a
	// reply to a form or a call went out through this channel): the message is stored on it.
	ConversationID string
}

// Accepted says where an inbound message was stored.
type Accepted struct {
	ConversationID string `db:"conversation_id"`
	MessageID      string `db:"message_id"`
	WorkflowID     string `db:"workflow_id"`
	// Duplicate is true when a message with the same external id was stored before.
	Duplicate bool `db:"-"`
	// Delivered is true when the conversation workflow already has the message.
	Delivered bool `db:"delivered"`
}

// WorkflowIDFor is the stable id of the conversation workflow of a channel's thread.
type WorkflowIDFor func(channelID, threadKey string) string

// AcceptInbound stores an inbound message and its conversation in one
// transaction. A message on an existing conversation keeps the workflow id
// stored on it (workflowID names only new conversations). A message whose
// (channel, external id) is stored already is not stored again: the earlier
// one is returned with Duplicate set.
func (s *Store) AcceptInbound(ctx context.Context, in Inbound, workflowID WorkflowIDFor) (Accepted, error) {
	var acc Accepted
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		existing, err := findMessage(ctx, tx, in.ChannelID, in.ExternalID)
		if err == nil {
			acc = existing
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if in.ConversationID != "" {
			err = tx.QueryRowxContext(ctx, `SELECT id, workflow_id FROM conversations WHERE id = $1 AND account_id = $2`,
				in.ConversationID, in.AccountID).Scan(&acc.ConversationID, &acc.WorkflowID)
		} else {
			err = tx.QueryRowxContext(ctx,
				`INSERT INTO conversations (id, account_id, channel_id, thread_key, thread_hash, workflow_id)
			 VALUES ($1, $2, $3, $4, $5, $6)
			 ON CONFLICT (channel_id, thread_hash) DO UPDATE SET thread_key = EXCLUDED.thread_key,
			    -- a stored id Temporal refuses (not printable ASCII, from before ids were encoded) never ran: replace it
			    workflow_id = CASE WHEN conversations.workflow_id ~ '[^ -~]' THEN EXCLUDED.workflow_id ELSE conversations.workflow_id END
			 RETURNING id, workflow_id`,
				NewID("conv"), in.AccountID, in.ChannelID, in.ThreadKey, keyHash(in.ThreadKey), workflowID(in.ChannelID, in.ThreadKey),
			).Scan(&acc.ConversationID, &acc.WorkflowID)
		}
		if isForeignKeyViolation(err, "conversations_channel_id_fkey") {
			// The channel was removed for good (it had no history) after the caller looked it up.
			return fmt.Errorf("upsert conversation: %w", domain.ErrChannelDisconnected)
		}
		if isUniqueViolation(err, "conversations_workflow_id_key") {
			// A concurrent request inserted this new conversation: PostgreSQL reports the race on the
			// workflow id index, not the ON CONFLICT one. Run again: the upsert then finds its row.
			return fmt.Errorf("upsert conversation: %w", errRetryTx)
		}
		if err != nil {
			return fmt.Errorf("upsert conversation: %w", err)
		}
		if err := autoRedact(ctx, tx, &in); err != nil {
			return err
		}
		author, _ := json.Marshal(in.Author)
		props := []byte("{}")
		if len(in.Properties) > 0 {
			if props, err = json.Marshal(in.Properties); err != nil {
				return fmt.Errorf("encode message properties: %w", err)
			}
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, author,
			                       subject, text, html, status, sent_at, properties)
			 VALUES ($1, $2, $3, $4, $5, 'inbound', $6, $7, $8, $9, 'received', $10, $11)
			 ON CONFLICT (channel_id, external_id) DO NOTHING`,
			NewID("msg"), in.AccountID, in.ChannelID, acc.ConversationID, in.ExternalID, author,
			in.Subject, in.Text, in.HTML, in.SentAt, props)
		if err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errRaced
		}
		acc.MessageID, err = messageID(ctx, tx, in.ChannelID, in.ExternalID)
		if err != nil {
			return err
		}
		if in.Quiet {
			acc.Delivered = true
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET delivered_at = now() WHERE id = $1`, acc.MessageID); err != nil {
				return fmt.Errorf("store quiet message: %w", err)
			}
		}
		if in.Submission == nil {
			return nil
		}
		return insertSubmission(ctx, tx, in, acc.MessageID)
	})
	if errors.Is(err, errRaced) {
		// A concurrent delivery of the same message won; report it as the duplicate it is.
		acc, err = findMessage(ctx, s.db, in.ChannelID, in.ExternalID)
	}
	if err != nil {
		return Accepted{}, fmt.Errorf("accept inbound message: %w", err)
	}
	return acc, nil
}

var errRaced = errors.New("message inserted concurrently")

func messageID(ctx context.Context, q sqlx.QueryerContext, channelID, externalID string) (string, error) {
	var id string
	err := sqlx.GetContext(ctx, q, &id, `SELECT id FROM messages WHERE channel_id = $1 AND external_id = $2`, channelID, externalID)
	if err != nil {
		return "", fmt.Errorf("read message id: %w", err)
	}
	return id, nil
}

func findMessage(ctx context.Context, q sqlx.QueryerContext, channelID, externalID string) (Accepted, error) {
	var acc Accepted
	err := sqlx.GetContext(ctx, q, &acc,
		`SELECT m.id AS message_id, m.conversation_id, c.workflow_id, m.delivered_at IS NOT NULL AS delivered
		   FROM messages m JOIN conversations c ON c.id = m.conversation_id
		  WHERE m.channel_id = $1 AND m.external_id = $2`, channelID, externalID)
	if err != nil {
		return acc, err
	}
	acc.Duplicate = true
	return acc, nil
}

// MarkDelivered records that the conversation workflow has accepted the messages.
func (s *Store) MarkDelivered(ctx context.Context, messageIDs ...string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE messages SET delivered_at = now(), delivery_next_at = NULL, delivery_failed_at = NULL WHERE id = ANY($1) AND delivered_at IS NULL`, messageIDs)
	if err != nil {
		return fmt.Errorf("mark messages delivered: %w", err)
	}
	return nil
}

// Undelivered is an inbound message the conversation workflow has not accepted yet.
type Undelivered struct {
	MessageID      string `db:"message_id"`
	AccountID      string `db:"account_id"`
	ChannelID      string `db:"channel_id"`
	ChannelType    string `db:"channel_type"`
	ChannelName    string `db:"channel_name"`
	ConversationID string `db:"conversation_id"`
	WorkflowID     string `db:"workflow_id"`
	// ThreadKey, Attempts and BusyRetries are set on claimed messages (ClaimUndelivered).
	ThreadKey   string `db:"thread_key"`
	Attempts    int    `db:"attempts"`
	BusyRetries int    `db:"busy_retries"`
	// Sender (name, else email, else external id), Subject and TextHead (the
	// text's start) describe the message for the workflow's summary.
	Sender   string `db:"sender"`
	Subject  string `db:"subject"`
	TextHead string `db:"text_head"`
}

// undeliveredSummary selects an undelivered message's Sender, Subject and TextHead (messages m).
const undeliveredSummary = `CASE WHEN m.author->>'name' <> '' AND m.author->>'email' <> '' THEN (m.author->>'name') || ' <' || (m.author->>'email') || '>'
		             ELSE COALESCE(NULLIF(m.author->>'name', ''), NULLIF(m.author->>'email', ''), m.author->>'external_user_id', '') END AS sender,
		        m.subject, left(m.text, 500) AS text_head`

// UndeliveredMessages returns inbound messages received before olderThan ago
// that no workflow has accepted, oldest first.
func (s *Store) UndeliveredMessages(ctx context.Context, olderThan time.Duration, limit int) ([]Undelivered, error) {
	var out []Undelivered
	err := s.db.SelectContext(ctx, &out,
		`SELECT m.id AS message_id, m.account_id, c.channel_id, ch.type AS channel_type, ch.name AS channel_name,
		        m.conversation_id, c.workflow_id, `+undeliveredSummary+`
		   FROM messages m
		   JOIN conversations c ON c.id = m.conversation_id
		   JOIN channels ch ON ch.id = c.channel_id
		  WHERE m.delivered_at IS NULL AND m.direction = 'inbound' AND m.received_at < now() - $1::interval
		  ORDER BY m.received_at, m.id LIMIT $2`,
		fmt.Sprintf("%d milliseconds", olderThan.Milliseconds()), limit)
	if err != nil {
		return nil, fmt.Errorf("list undelivered messages: %w", err)
	}
	return out, nil
}

// Message returns one message of the account.
func (s *Store) Message(ctx context.Context, accountID, id string) (domain.Message, error) {
	var row struct {
		messageRow
		Submission []byte `db:"submission"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT `+messageColumns+`, `+submissionJSON+` AS submission
		FROM messages LEFT JOIN submissions sub ON sub.message_id = messages.id
		WHERE messages.id = $1 AND messages.account_id = $2`, id, accountID)
	if err != nil {
		return domain.Message{}, notFound(err, "get message")
	}
	m, err := row.message()
	if err != nil || row.Submission == nil {
		return m, err
	}
	m.Submission = &domain.Submission{}
	if err := json.Unmarshal(row.Submission, m.Submission); err != nil {
		return m, fmt.Errorf("decode submission of %s: %w", id, err)
	}
	return m, nil
}

// ConversationMessages returns a page of a conversation's messages in the order they were sent.
func (s *Store) ConversationMessages(ctx context.Context, accountID, conversationID string, page Page) ([]domain.Message, error) {
	var rows []messageRow
	err := s.db.SelectContext(ctx, &rows,
		`SELECT `+messageColumns+` FROM messages
		  WHERE account_id = $1 AND conversation_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
		accountID, conversationID, page.After, page.Limit)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	out := make([]domain.Message, 0, len(rows))
	for _, r := range rows {
		m, err := r.message()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

const messageColumns = `messages.id, messages.conversation_id, messages.channel_id, external_id, direction, author, subject, text, html, tag, status, sent_at,
	COALESCE(failure_reason, '') AS failure_reason, messages.properties, messages.attempts, messages.next_attempt_at`

type messageRow struct {
	ID             string          `db:"id"`
	ConversationID string          `db:"conversation_id"`
	ChannelID      string          `db:"channel_id"`
	ExternalID     string          `db:"external_id"`
	Direction      string          `db:"direction"`
	Author         json.RawMessage `db:"author"`
	Subject        string          `db:"subject"`
	Text           string          `db:"text"`
	HTML           string          `db:"html"`
	Tag            string          `db:"tag"`
	Status         string          `db:"status"`
	SentAt         time.Time       `db:"sent_at"`
	FailureReason  string          `db:"failure_reason"`
	Properties     json.RawMessage `db:"properties"`
	Attempts       int             `db:"attempts"`
	NextAttemptAt  *time.Time      `db:"next_attempt_at"`
}

func (r messageRow) message() (domain.Message, error) {
	m := domain.Message{
		ID: r.ID, ConversationID: r.ConversationID, ChannelID: r.ChannelID, ExternalID: r.ExternalID,
		Direction: r.Direction, Subject: r.Subject, Text: r.Text, HTML: r.HTML, Tag: r.Tag,
		Status: r.Status, SentAt: r.SentAt, FailureReason: r.FailureReason, Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt,
	}
	if err := json.Unmarshal(r.Author, &m.Author); err != nil {
		return m, fmt.Errorf("decode author of %s: %w", r.ID, err)
	}
	if len(r.Properties) > 0 && string(r.Properties) != "{}" {
		if err := json.Unmarshal(r.Properties, &m.Properties); err != nil {
			return m, fmt.Errorf("decode properties of %s: %w", r.ID, err)
		}
	}
	return m, nil
}

// ConversationCustomer is who wrote the conversation's first inbound message.
func (s *Store) ConversationCustomer(ctx context.Context, accountID, conversationID string) (domain.Author, error) {
	var raw json.RawMessage
	err := s.db.GetContext(ctx, &raw,
		`SELECT author FROM messages WHERE account_id = $1 AND conversation_id = $2 AND direction = 'inbound' ORDER BY id LIMIT 1`,
		accountID, conversationID)
	if isNoRows(err) {
		// A conversation a reply opened for a ticket without a channel: the ticket's contact,
		// with the external user id they wrote through the channel with (custom apps).
		var a domain.Author
		var contactID, channelID string
		err = s.db.QueryRowxContext(ctx,
			`SELECT COALESCE(c.email, ''), c.name, COALESCE(c.phone, ''), c.id, t.channel_id
			   FROM tickets t JOIN contacts c ON c.id = t.contact_id
			  WHERE t.account_id = $1 AND t.conversation_id = $2`, accountID, conversationID).Scan(&a.Email, &a.Name, &a.Phone, &contactID, &channelID)
		if err != nil {
			return a, notFound(err, "conversation customer")
		}
		a.ExternalUserID, err = s.ContactChannelUser(ctx, accountID, contactID, channelID)
		return a, err
	}
	if err != nil {
		return domain.Author{}, notFound(err, "conversation customer")
	}
	var a domain.Author
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("decode customer: %w", err)
	}
	return a, nil
}
