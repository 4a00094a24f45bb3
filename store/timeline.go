package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// TimelineItem is one event of a contact's history: a message, a form submission, a call, a ticket, a consent or a merge.
type TimelineItem struct {
	Type      string    `db:"type" json:"type"`
	At        time.Time `db:"at" json:"at"`
	ID        string    `db:"id" json:"id"`
	ChannelID *string   `db:"channel_id" json:"channel_id"`
	TicketID  *string   `db:"ticket_id" json:"ticket_id"`
	// Detail is the event's own fields (a submission's fields with hidden ones, a call's numbers and status …).
	Detail json.RawMessage `db:"detail" json:"detail"`
}

// TimelineCursor is where a page of a timeline ends: the last item's time and id.
type TimelineCursor struct {
	At time.Time
	ID string
}

// timelineSQL unions everything a contact did and was part of. Messages are the contact's by their
// conversation's ticket or by an identity of their author (a completed call that opened no ticket); each
// way is a lookup of its own so that the indexes of migration 00071 serve it, never a scan of the account.
const timelineSQL = `
WITH ids AS (SELECT kind, value FROM contact_identities WHERE account_id = $1 AND contact_id = $2),
convs AS (SELECT conversation_id FROM tickets WHERE account_id = $1 AND contact_id = $2),
msgs AS (
  SELECT m.id, m.conversation_id, m.channel_id, m.sent_at, m.direction, m.subject, m.text, m.status FROM convs JOIN messages m ON m.conversation_id = convs.conversation_id
  UNION SELECT m.id, m.conversation_id, m.channel_id, m.sent_at, m.direction, m.subject, m.text, m.status FROM ids JOIN messages m ON ids.kind = 'email' AND m.account_id = $1 AND m.direction = 'inbound'
                                              AND md5(lower(m.author->>'email')) = md5(ids.value) AND lower(m.author->>'email') = ids.value
  UNION SELECT m.id, m.conversation_id, m.channel_id, m.sent_at, m.direction, m.subject, m.text, m.status FROM ids JOIN messages m ON ids.kind = 'phone' AND m.account_id = $1 AND m.direction = 'inbound'
                                              AND md5(m.author->>'phone') = md5(ids.value) AND m.author->>'phone' = ids.value
  UNION SELECT m.id, m.conversation_id, m.channel_id, m.sent_at, m.direction, m.subject, m.text, m.status FROM ids JOIN messages m ON ids.kind = 'channel_user' AND m.account_id = $1 AND m.direction = 'inbound'
                                              AND md5(m.channel_id || ':' || (m.author->>'external_user_id')) = md5(ids.value)
                                              AND m.channel_id || ':' || (m.author->>'external_user_id') = ids.value
),
items AS (
  SELECT CASE WHEN s.message_id IS NOT NULL THEN 'submission' WHEN c.id IS NOT NULL THEN 'call' ELSE 'message' END AS type,
         m.sent_at AS at, m.id, m.channel_id, t.id AS ticket_id,
         CASE WHEN s.message_id IS NOT NULL THEN json_build_object('message_id', m.id, 'text', m.text, 'fields', s.fields,
                   'hidden', s.hidden, 'page_url', s.page_url, 'submitted_at', s.submitted_at)
              WHEN c.id IS NOT NULL THEN json_build_object('message_id', m.id, 'call_id', c.call_id, 'from_number', c.from_number,
                   'to_number', c.to_number, 'direction', c.direction, 'status', c.status, 'duration_seconds', c.duration_seconds,
                   'recording_url', c.recording_url, 'transcript', c.transcript)
              ELSE json_build_object('message_id', m.id, 'direction', m.direction, 'subject', m.subject, 'text', m.text, 'status', m.status)
         END AS detail
    FROM msgs m LEFT JOIN submissions s ON s.message_id = m.id LEFT JOIN calls c ON c.message_id = m.id
    LEFT JOIN tickets t ON t.conversation_id = m.conversation_id
  UNION ALL
  SELECT 'ticket', t.created_at, t.id, t.channel_id, t.id,
         json_build_object('subject', t.subject, 'status', t.status, 'pipeline', t.pipeline, 'priority', t.priority)
    FROM tickets t WHERE t.account_id = $1 AND t.contact_id = $2
  UNION ALL
  SELECT 'consent', (c.consent->>'at')::timestamptz, 'consent_' || c.id, c.consent->>'channel_id', NULL, c.consent::json
    FROM contacts c WHERE c.account_id = $1 AND c.id = $2 AND jsonb_typeof(c.consent) = 'object'
  UNION ALL
  SELECT 'merge', g.merged_at, g.id, NULL, NULL,
         json_build_object('from_contact_id', g.from_contact_id, 'from_name', g.from_name, 'from_email', g.from_email,
                           'merged_by', g.merged_by, 'undo_until', CASE WHEN g.moved IS NOT NULL THEN g.merged_at + ` + undoInterval + ` END)
    FROM contact_merges g WHERE g.account_id = $1 AND g.into_contact_id = $2 AND g.undone_at IS NULL
)
SELECT type, at, id, channel_id, ticket_id, detail FROM items
 WHERE $3::timestamptz IS NULL OR (at, id) < ($3::timestamptz, $4::text)
 ORDER BY at DESC, id DESC LIMIT $5`

// undoInterval is MergeUndoWindow as a PostgreSQL interval (TestContactProfileDuplicatesMergeUndo checks they agree).
const undoInterval = "interval '10 minutes'"

// Timeline returns a page of a live contact's timeline, newest first, after the cursor (nil: the first page).
func (s *Store) Timeline(ctx context.Context, accountID, contactID string, after *TimelineCursor, limit int) ([]TimelineItem, error) {
	var at *time.Time
	id := ""
	if after != nil {
		at, id = &after.At, after.ID
	}
	items := []TimelineItem{}
	if err := s.db.SelectContext(ctx, &items, timelineSQL, accountID, contactID, at, id, limit); err != nil {
		return nil, fmt.Errorf("contact timeline: %w", err)
	}
	return items, nil
}
