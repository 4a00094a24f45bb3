package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// ExportData is everything routedesk holds about a contact, each part as JSON, for its export archive.
type ExportData struct {
	Profile       json.RawMessage
	Identities    json.RawMessage
	Consent       json.RawMessage
	Tickets       json.RawMessage
	Conversations []ExportConversation
	Attachments   []ExportAttachment
	Timeline      []TimelineItem
}

// ExportConversation is one conversation of the contact with its messages (and their attachments' metadata).
type ExportConversation struct {
	ID   string          `db:"id"`
	JSON json.RawMessage `db:"doc"`
}

// ExportAttachment is one attachment file of the contact's messages, at Path in the archive.
type ExportAttachment struct {
	Path    string `db:"path"`
	Content []byte `db:"content"`
}

// withoutVectors drops a row's search columns (derived from its other fields) from its JSON.
const withoutVectors = `(SELECT jsonb_object_agg(k, v) FROM jsonb_each(to_jsonb(%s)) AS e(k, v) WHERE k NOT LIKE '%%vector%%' AND k <> 'search_name')`

// attachmentPath is where an attachment of message m lives in the archive.
const attachmentPath = `'attachments/' || a.message_id || '/' || a.n || '-' || regexp_replace(a.name, '[^A-Za-z0-9._-]', '_', 'g')`

// ExportContact reads what an export archive holds of a live contact: the same tickets and
// conversations an erasure reaches (PlanErasure), its profile, identities, consent and timeline.
func (s *Store) ExportContact(ctx context.Context, accountID, contactID string) (ExportData, error) {
	var d ExportData
	p, err := s.PlanErasure(ctx, accountID, contactID, "")
	if err != nil {
		return d, fmt.Errorf("export %s: %w", contactID, err)
	}
	steps := []struct {
		into *json.RawMessage
		sql  string
		args []any
	}{
		{&d.Profile, `SELECT ` + fmt.Sprintf(withoutVectors, "c") + ` FROM contacts c WHERE account_id = $1 AND id = $2`, []any{accountID, contactID}},
		{&d.Identities, `SELECT COALESCE(jsonb_agg(jsonb_build_object('kind', kind, 'value', value) ORDER BY kind, value), '[]')
			FROM contact_identities WHERE account_id = $1 AND contact_id IN (SELECT id FROM contacts WHERE account_id = $1 AND (id = $2 OR merged_into = $2))`, []any{accountID, contactID}},
		{&d.Consent, `SELECT COALESCE(consent, 'null'::jsonb) FROM contacts WHERE account_id = $1 AND id = $2`, []any{accountID, contactID}},
		{&d.Tickets, `SELECT COALESCE(jsonb_agg(` + fmt.Sprintf(withoutVectors, "t") + ` ORDER BY t.id), '[]') FROM tickets t WHERE account_id = $1 AND id = ANY($2)`, []any{accountID, p.TicketIDs}},
	}
	for _, st := range steps {
		if err := s.db.GetContext(ctx, st.into, st.sql, st.args...); err != nil {
			return d, fmt.Errorf("export %s: %w", contactID, err)
		}
	}
	err = s.db.SelectContext(ctx, &d.Conversations, `SELECT cv.id, jsonb_build_object('id', cv.id, 'channel_id', cv.channel_id,
		'channel_type', ch.type, 'created_at', cv.created_at, 'messages', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', m.id,
			'direction', m.direction, 'author', m.author, 'subject', m.subject, 'text', m.text, 'html', m.html, 'status', m.status,
			'sent_at', m.sent_at, 'attachments', COALESCE((SELECT jsonb_agg(jsonb_build_object('name', a.name, 'content_type', a.content_type,
				'size', a.size, 'sha256', a.sha256, 'file', `+attachmentPath+`) ORDER BY a.n) FROM message_attachments a WHERE a.message_id = m.id), '[]'))
			ORDER BY m.sent_at, m.id) FROM messages m WHERE m.conversation_id = cv.id), '[]')) AS doc
		FROM conversations cv JOIN channels ch ON ch.id = cv.channel_id WHERE cv.account_id = $1 AND cv.id = ANY($2) ORDER BY cv.id`,
		accountID, p.ConversationIDs)
	if err == nil {
		err = s.db.SelectContext(ctx, &d.Attachments, `SELECT `+attachmentPath+` AS path, a.content FROM message_attachments a
			JOIN messages m ON m.id = a.message_id WHERE m.account_id = $1 AND m.conversation_id = ANY($2) ORDER BY 1`, accountID, p.ConversationIDs)
	}
	if err != nil {
		return d, fmt.Errorf("export %s: %w", contactID, err)
	}
	var after *TimelineCursor
	for {
		page, err := s.Timeline(ctx, accountID, contactID, after, 500)
		if err != nil {
			return d, fmt.Errorf("export %s: %w", contactID, err)
		}
		d.Timeline = append(d.Timeline, page...)
		if len(page) < 500 {
			return d, nil
		}
		last := page[len(page)-1]
		after = &TimelineCursor{At: last.At, ID: last.ID}
	}
}
