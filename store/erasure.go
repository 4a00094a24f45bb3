package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// ErasurePlan is what erasing a contact reaches, by opaque ids only: the contact's tickets,
// their conversations and every Temporal workflow holding the contact's data. The erasure
// workflow's history holds privacy.ErasurePlan (same fields), never this type.
type ErasurePlan struct {
	AccountID       string   `json:"account_id"`
	ContactID       string   `json:"contact_id"`
	ErasureID       string   `json:"erasure_id"`
	TicketIDs       []string `json:"ticket_ids"`
	ConversationIDs []string `json:"conversation_ids"`
	WorkflowIDs     []string `json:"workflow_ids"`
	// VisitorIDs are the contact's chat visitors (their name and emails go with them).
	VisitorIDs []string `json:"visitor_ids,omitempty"`
	// DeliveriesSettleAt is when a delivery attempt in flight at planning time (a request's
	// own, or a redrive claim) has certainly ended; zero when no delivery was pending.
	DeliveriesSettleAt time.Time `json:"deliveries_settle_at,omitzero"`
}

// Erasure is the audit record of a contact's erasure; it holds no personal data.
type Erasure struct {
	ID          string          `db:"id" json:"id"`
	AccountID   string          `db:"account_id" json:"-"`
	ContactID   string          `db:"contact_id" json:"contact_id"`
	RequestedBy string          `db:"requested_by" json:"requested_by"`
	WorkflowID  string          `db:"workflow_id" json:"workflow_id"`
	State       string          `db:"state" json:"state"`
	Counts      json.RawMessage `db:"counts" json:"counts"`
	RequestedAt sql.NullTime    `db:"requested_at" json:"-"`
	FinishedAt  sql.NullTime    `db:"finished_at" json:"-"`
}

// StartErasure records that userID asked to erase a contact of accountID, or returns the
// erasure recorded already (created false). domain.ErrNotFound: no such contact, never erased.
func (s *Store) StartErasure(ctx context.Context, accountID, contactID, userID, workflowID string) (Erasure, bool, error) {
	if e, err := s.ErasureOf(ctx, accountID, contactID); err == nil || !errors.Is(err, domain.ErrNotFound) {
		return e, false, err
	}
	var exists bool
	if err := s.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM contacts WHERE id = $1 AND account_id = $2)`,
		contactID, accountID); err != nil {
		return Erasure{}, false, fmt.Errorf("start erasure: %w", err)
	}
	if !exists {
		return Erasure{}, false, fmt.Errorf("contact %s: %w", contactID, domain.ErrNotFound)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO privacy_erasures (id, account_id, contact_id, requested_by, workflow_id)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, contact_id) DO NOTHING`,
		NewID("era"), accountID, contactID, userID, workflowID)
	if err != nil {
		return Erasure{}, false, fmt.Errorf("start erasure: %w", err)
	}
	e, err := s.ErasureOf(ctx, accountID, contactID)
	if err == nil {
		err = s.RecordAudit(ctx, erasureAudit(e))
	}
	return e, err == nil, err
}

// ErasureOf returns the erasure of a contact; domain.ErrNotFound when it was never asked for.
func (s *Store) ErasureOf(ctx context.Context, accountID, contactID string) (Erasure, error) {
	var e Erasure
	err := s.db.GetContext(ctx, &e, `SELECT id, account_id, contact_id, requested_by, workflow_id, state, counts, requested_at, finished_at
		FROM privacy_erasures WHERE account_id = $1 AND contact_id = $2`, accountID, contactID)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("erasure of %s: %w", contactID, domain.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("erasure of %s: %w", contactID, err)
	}
	return e, nil
}

// PlanErasure lists what erasing a contact reaches: its tickets (and those of contacts merged
// into it), their conversations, the conversations not yet ticketed whose inbound messages an
// identity of the contact wrote, the contact's chat visitors, and the workflows whose keys the contact owns.
func (s *Store) PlanErasure(ctx context.Context, accountID, contactID, erasureID string) (ErasurePlan, error) {
	p := ErasurePlan{AccountID: accountID, ContactID: contactID, ErasureID: erasureID}
	err := s.db.SelectContext(ctx, &p.TicketIDs, `SELECT id FROM tickets WHERE account_id = $1 AND contact_id IN
		(SELECT id FROM contacts WHERE account_id = $1 AND (id = $2 OR merged_into = $2)) ORDER BY id`, accountID, contactID)
	if err == nil {
		err = s.db.SelectContext(ctx, &p.ConversationIDs, `SELECT conversation_id FROM tickets
			WHERE id = ANY($1) AND conversation_id IS NOT NULL
			UNION SELECT conversation_id FROM (`+contactMessagesSQL+`) m
			WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = m.conversation_id)
			ORDER BY 1`, p.TicketIDs, accountID, contactID)
	}
	if err == nil {
		err = s.db.SelectContext(ctx, &p.VisitorIDs, `SELECT v.id FROM chat_visitors v WHERE v.account_id = $1 AND (
			'visitor:' || v.id IN (SELECT thread_key FROM conversations WHERE account_id = $1 AND id = ANY($3))
			OR v.channel_id || ':' || v.id IN (SELECT value FROM contact_identities WHERE account_id = $1 AND kind = 'channel_user'
				AND contact_id IN (SELECT id FROM contacts WHERE account_id = $1 AND (id = $2 OR merged_into = $2)))
			OR lower(v.verified_email) IN (SELECT value FROM contact_identities WHERE account_id = $1 AND kind = 'email'
				AND contact_id IN (SELECT id FROM contacts WHERE account_id = $1 AND (id = $2 OR merged_into = $2))))
			ORDER BY 1`, accountID, contactID, p.ConversationIDs)
	}
	if err == nil {
		err = s.db.SelectContext(ctx, &p.WorkflowIDs, `SELECT workflow_id FROM conversations WHERE id = ANY($1)
			UNION SELECT workflow_id FROM tickets WHERE id = ANY($2) AND workflow_id IS NOT NULL
			UNION SELECT k.workflow_id FROM privacy_keys k JOIN messages m ON m.id = split_part(k.workflow_id, ':', 2)
			      WHERE k.workflow_id LIKE 'delivery:%' AND m.conversation_id = ANY($1)
			UNION SELECT workflow_id FROM privacy_exports WHERE account_id = $3 AND contact_id = $4
			ORDER BY 1`, p.ConversationIDs, p.TicketIDs, accountID, contactID)
	}
	if err == nil {
		p.DeliveriesSettleAt, err = s.failErasedDeliveries(ctx, accountID, p.ConversationIDs)
	}
	if err != nil {
		return p, fmt.Errorf("plan the erasure of %s: %w", contactID, err)
	}
	return p, nil
}

// ErasureDeliveryGrace bounds a delivery attempt already under way when its
// message's contact is erased: a request's own attempt or a redrive claim
// (the redrive loop's attempt timeout, 5 s, within its 7 s lease).
const ErasureDeliveryGrace = 7 * time.Second

// failErasedDeliveries marks the undelivered inbound messages of the
// conversations failed ("contact erased"), so that no redrive hands them to a
// workflow the erasure has stopped (which would bring the contact back), and
// returns when an attempt already under way has certainly ended (zero: none was pending).
func (s *Store) failErasedDeliveries(ctx context.Context, accountID string, conversationIDs []string) (time.Time, error) {
	var until sql.NullTime
	err := s.db.QueryRowContext(ctx, `WITH failed AS (
		UPDATE messages SET delivery_failed_at = now(), delivery_error = 'contact erased', delivery_next_at = NULL
		 WHERE account_id = $1 AND conversation_id = ANY($2) AND direction = 'inbound'
		   AND delivered_at IS NULL AND delivery_failed_at IS NULL
		RETURNING 1)
		SELECT CASE WHEN count(*) > 0 THEN now() + $3::interval END FROM failed`,
		accountID, conversationIDs, interval(ErasureDeliveryGrace)).Scan(&until)
	if err != nil {
		return time.Time{}, fmt.Errorf("stop the contact's pending deliveries: %w", err)
	}
	return until.Time, nil
}

// contactMessagesSQL selects the conversation_id of every inbound message written under an
// identity of contact $3 (or of a contact merged into it) of account $2, each identity kind
// through its index of migration 00071 (as the timeline finds them).
const contactMessagesSQL = `
WITH ids AS (SELECT kind, value FROM contact_identities WHERE account_id = $2 AND contact_id IN
	(SELECT id FROM contacts WHERE account_id = $2 AND (id = $3 OR merged_into = $3)))
SELECT m.conversation_id FROM ids JOIN messages m ON ids.kind = 'email' AND m.account_id = $2 AND m.direction = 'inbound'
	AND md5(lower(m.author->>'email')) = md5(ids.value) AND lower(m.author->>'email') = ids.value
UNION SELECT m.conversation_id FROM ids JOIN messages m ON ids.kind = 'phone' AND m.account_id = $2 AND m.direction = 'inbound'
	AND md5(m.author->>'phone') = md5(ids.value) AND m.author->>'phone' = ids.value
UNION SELECT m.conversation_id FROM ids JOIN messages m ON ids.kind = 'channel_user' AND m.account_id = $2 AND m.direction = 'inbound'
	AND md5(m.channel_id || ':' || (m.author->>'external_user_id')) = md5(ids.value)
	AND m.channel_id || ':' || (m.author->>'external_user_id') = ids.value`

// ShredKeys erases the keys of the plan's workflows (every run's, live or from before a
// reuse of the id): their payloads in Temporal and its backups can no longer be decoded.
// It returns every erased key of those workflows, so a second run answers as the first.
func (s *Store) ShredKeys(ctx context.Context, p ErasurePlan) ([]string, error) {
	_, err := s.db.ExecContext(ctx, `UPDATE privacy_keys SET wrapped = NULL, erased_at = now()
		WHERE workflow_id = ANY($1) AND erased_at IS NULL AND (account_id = $2 OR account_id IS NULL)`,
		p.WorkflowIDs, p.AccountID)
	var ids []string
	if err == nil {
		err = s.db.SelectContext(ctx, &ids, `SELECT id FROM privacy_keys WHERE workflow_id = ANY($1) AND erased_at IS NOT NULL
			AND (account_id = $2 OR account_id IS NULL) ORDER BY id`, p.WorkflowIDs, p.AccountID)
	}
	if err != nil {
		return nil, fmt.Errorf("shred the keys of %s: %w", p.ContactID, err)
	}
	return ids, nil
}

// erasureDeletes removes a contact's rows, children first; args gives each statement its parameters.
var erasureDeletes = []struct {
	table string
	sql   string
	args  func(p ErasurePlan) []any
}{
	{"messages", `DELETE FROM messages WHERE account_id = $1 AND conversation_id = ANY($2)`, convArgs}, // attachments, email headers, submissions, parts cascade
	{"ignored_inbound", `DELETE FROM ignored_inbound WHERE account_id = $1 AND conversation_id = ANY($2)`, convArgs},
	{"timeline_entries", `DELETE FROM ticket_events WHERE ticket_id IN (SELECT id FROM tickets WHERE account_id = $1 AND id = ANY($2))`, ticketArgs},
	{"tickets", `DELETE FROM tickets WHERE account_id = $1 AND id = ANY($2)`, ticketArgs},
	{"conversations", `DELETE FROM conversations WHERE account_id = $1 AND id = ANY($2)`, convArgs},
	{"exports", `DELETE FROM privacy_exports WHERE account_id = $1 AND contact_id = $2`, contactArgs},
	{"chat_visitors", `DELETE FROM chat_visitors WHERE account_id = $1 AND id = ANY($2)`, visitorArgs},
	{"contact_merges", `DELETE FROM contact_merges WHERE account_id = $1 AND into_contact_id = $2`, contactArgs},
	{"identities", `DELETE FROM contact_identities WHERE account_id = $1 AND contact_id IN
		(SELECT id FROM contacts WHERE account_id = $1 AND (id = $2 OR merged_into = $2))`, contactArgs},
	{"contacts", `DELETE FROM contacts WHERE account_id = $1 AND (id = $2 OR merged_into = $2)`, contactArgs},
}

func convArgs(p ErasurePlan) []any    { return []any{p.AccountID, p.ConversationIDs} }
func ticketArgs(p ErasurePlan) []any  { return []any{p.AccountID, p.TicketIDs} }
func contactArgs(p ErasurePlan) []any { return []any{p.AccountID, p.ContactID} }
func visitorArgs(p ErasurePlan) []any { return []any{p.AccountID, p.VisitorIDs} }

// erasureCounts are the rows that go with a contact's messages by cascade, counted before they go.
var erasureCounts = []struct{ table, sql string }{
	{"attachments", `SELECT count(*) FROM message_attachments WHERE message_id IN (SELECT id FROM messages WHERE account_id = $1 AND conversation_id = ANY($2))`},
	{"submissions", `SELECT count(*) FROM submissions WHERE message_id IN (SELECT id FROM messages WHERE account_id = $1 AND conversation_id = ANY($2))`},
	{"calls", `SELECT count(*) FROM calls WHERE message_id IN (SELECT id FROM messages WHERE account_id = $1 AND conversation_id = ANY($2))`},
}

// DeleteContactData deletes, in one transaction, the contact's messages (with their attachments,
// email headers, submissions and calls), timeline entries, tickets, conversations (thread keys
// and thread hashes), chat visitors (name, emails), identities, merge records and the contact itself, and records the counts
// on the erasure. A second run deletes nothing and keeps the first run's counts.
func (s *Store) DeleteContactData(ctx context.Context, p ErasurePlan) (map[string]int64, error) {
	counts := map[string]int64{}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("erase %s: %w", p.ContactID, err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, c := range erasureCounts {
		var n int64
		if err := tx.GetContext(ctx, &n, c.sql, p.AccountID, p.ConversationIDs); err != nil {
			return nil, fmt.Errorf("erase %s: count %s: %w", p.ContactID, c.table, err)
		}
		counts[c.table] += n
	}
	// Calls keep no link once their message goes (ON DELETE SET NULL): delete them with it.
	if _, err := tx.ExecContext(ctx, `DELETE FROM calls WHERE message_id IN
		(SELECT id FROM messages WHERE account_id = $1 AND conversation_id = ANY($2))`, p.AccountID, p.ConversationIDs); err != nil {
		return nil, fmt.Errorf("erase %s: calls: %w", p.ContactID, err)
	}
	for _, d := range erasureDeletes {
		res, err := tx.ExecContext(ctx, d.sql, d.args(p)...)
		if err != nil {
			return nil, fmt.Errorf("erase %s: %s: %w", p.ContactID, d.table, err)
		}
		n, _ := res.RowsAffected()
		counts[d.table] += n
	}
	b, err := json.Marshal(counts)
	if err != nil {
		return nil, fmt.Errorf("erase %s: %w", p.ContactID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE privacy_erasures SET counts = $2 WHERE id = $1 AND counts = '{}'`, p.ErasureID, b); err != nil {
		return nil, fmt.Errorf("erase %s: record counts: %w", p.ContactID, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("erase %s: commit: %w", p.ContactID, err)
	}
	var recorded json.RawMessage
	if err := s.db.GetContext(ctx, &recorded, `SELECT counts FROM privacy_erasures WHERE id = $1`, p.ErasureID); err != nil {
		return nil, fmt.Errorf("erase %s: read counts: %w", p.ContactID, err)
	}
	out := map[string]int64{}
	if err := json.Unmarshal(recorded, &out); err != nil {
		return nil, fmt.Errorf("erase %s: read counts: %w", p.ContactID, err)
	}
	return out, nil
}

// FinishErasure marks an erasure completed, adding the keys shredded to its counts.
func (s *Store) FinishErasure(ctx context.Context, erasureID string, keys int) error {
	_, err := s.db.ExecContext(ctx, `UPDATE privacy_erasures SET state = 'completed', finished_at = COALESCE(finished_at, now()),
		counts = counts || jsonb_build_object('workflow_keys', GREATEST(COALESCE((counts->>'workflow_keys')::int, 0), $2::int))
		WHERE id = $1`, erasureID, keys)
	if err != nil {
		return fmt.Errorf("finish erasure %s: %w", erasureID, err)
	}
	var e Erasure
	if err := s.db.GetContext(ctx, &e, `SELECT id, account_id, contact_id, requested_by, workflow_id, state, counts
		FROM privacy_erasures WHERE id = $1`, erasureID); err != nil {
		return fmt.Errorf("finish erasure %s: %w", erasureID, err)
	}
	return s.RecordAudit(ctx, erasureAudit(e))
}

// erasureAudit is the audit log entry of an erasure.
func erasureAudit(e Erasure) AuditEntry {
	return AuditEntry{AccountID: e.AccountID, Action: AuditErase, Ref: e.ID, Actor: e.RequestedBy, SubjectKind: "contact",
		SubjectID: e.ContactID, State: e.State, Counts: e.Counts}
}
