package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// AnonymisedMarker replaces the content retention anonymises.
const AnonymisedMarker = "[anonymised]"

// anonymiseSteps are the statements of anonymiseConversations: $1 is the account, $2 the
// conversations, $3 the marker. What stays is what reports count: the messages' direction, times
// and delivery states, calls' durations and statuses (and the tickets' figures, anonymiseTicketSteps).
var anonymiseSteps = []struct{ what, sql string }{
	{"attachments", `DELETE FROM message_attachments WHERE account_id = $1 AND message_id IN
		(SELECT id FROM messages WHERE account_id = $1 AND conversation_id = ANY($2))`},
	{"email headers", `UPDATE email_messages SET quoted_text = '', forwarder_email = '', forwarder_name = '', mail_from = '',
		header_from = '{}', reply_to = '[]', to_addrs = '[]', cc_addrs = '[]', bcc_addrs = '[]'
		WHERE message_id IN (SELECT id FROM messages WHERE account_id = $1 AND conversation_id = ANY($2))`},
	// before the messages' external ids change
	{"reply recipients", `DELETE FROM email_reply_recipients r USING messages m
		WHERE m.account_id = $1 AND m.conversation_id = ANY($2) AND r.channel_id = m.channel_id AND r.external_id = m.external_id`},
	{"submissions", `UPDATE submissions SET fields = '{}', hidden = '{}', description = '', page_url = ''
		WHERE message_id IN (SELECT id FROM messages WHERE account_id = $1 AND conversation_id = ANY($2))`},
	{"calls", `UPDATE calls SET from_number = $3, to_number = $3, recording_url = '', transcript = ''
		WHERE account_id = $1 AND message_id IN (SELECT id FROM messages WHERE account_id = $1 AND conversation_id = ANY($2))`},
	// An agent's reply keeps who sent it (user_id), a customer's message keeps nobody; the message id
	// the contact's mail program made (it often names them) becomes its hash, still unique per channel.
	{"messages", `UPDATE messages SET text = CASE WHEN text = '' THEN '' ELSE $3 END, html = '',
		subject = CASE WHEN subject = '' THEN '' ELSE $3 END,
		author = CASE WHEN direction = 'outbound' AND author ? 'user_id' THEN jsonb_build_object('user_id', author->'user_id') ELSE '{}' END,
		failure_reason = CASE WHEN failure_reason IS NULL THEN NULL ELSE $3 END,
		properties = jsonb_build_object('anonymised', true),
		external_id = CASE WHEN external_id LIKE 'anonymised:%' THEN external_id
			ELSE 'anonymised:' || encode(sha256(convert_to(external_id, 'UTF8')), 'hex') END
		WHERE account_id = $1 AND conversation_id = ANY($2)`},
	{"ignored messages", `DELETE FROM ignored_inbound WHERE account_id = $1 AND conversation_id = ANY($2)`},
	// The thread key is the contact's address or id on the channel: a new message from them opens a new conversation.
	{"conversations", `UPDATE conversations SET thread_key = 'anonymised:' || id, thread_hash = sha256(convert_to('anonymised:' || id, 'UTF8')),
		anonymised_at = now() WHERE account_id = $1 AND id = ANY($2)`},
}

// anonymiseTicketSteps are the statements of anonymiseTickets: $1 is the account, $2 the tickets, $3
// the marker. What stays is what reports count: the ticket's times, status, channel, team,
// assignee, priority, tags, SLA figures and timeline (less the values of property edits), CSAT ratings.
var anonymiseTicketSteps = []struct{ what, sql string }{
	{"notes", `UPDATE ticket_notes SET body = $3 WHERE account_id = $1 AND ticket_id = ANY($2)`},
	{"csat comments", `UPDATE csat_surveys SET comment = '' WHERE account_id = $1 AND comment <> '' AND ticket_id = ANY($2)`},
	// A ticket's custom properties may name the contact; the timeline keeps the edit, not the values.
	{"timeline properties", `UPDATE ticket_events SET data = (data - 'properties' - 'from_properties') || '{"properties_anonymised": true}'
		WHERE kind = 'TicketEdited' AND (data ? 'properties' OR data ? 'from_properties') AND ticket_id IN
		(SELECT id FROM tickets WHERE account_id = $1 AND id = ANY($2))`},
	// updated_at stays: it is when the ticket closed, which retention and reports read.
	{"tickets", `UPDATE tickets SET subject = CASE WHEN subject = '' THEN '' ELSE $3 END,
		description = CASE WHEN description = '' THEN '' ELSE $3 END, properties = '{}', contact_id = NULL, anonymised_at = now()
		WHERE account_id = $1 AND id = ANY($2)`},
}

// anonymiseConversations anonymises conversations and their tickets: message texts, subjects and
// HTML become AnonymisedMarker, attachments and ignored messages go, email addresses and headers,
// form fields, phone numbers, recordings and transcripts are erased, and the tickets as anonymiseTickets.
func anonymiseConversations(ctx context.Context, tx *sqlx.Tx, accountID string, convs []string) error {
	if len(convs) == 0 {
		return nil
	}
	var tickets []string
	if err := tx.SelectContext(ctx, &tickets, `SELECT id FROM tickets WHERE account_id = $1 AND conversation_id = ANY($2)`, accountID, convs); err != nil {
		return fmt.Errorf("anonymise: tickets of the conversations: %w", err)
	}
	if err := runAnonymise(ctx, tx, anonymiseSteps, accountID, convs); err != nil {
		return err
	}
	return anonymiseTickets(ctx, tx, accountID, tickets)
}

// anonymiseTickets anonymises tickets: notes become AnonymisedMarker, CSAT comments and the values
// of property edits on the timeline go, and the ticket's subject, description, custom properties
// and contact link are erased.
func anonymiseTickets(ctx context.Context, tx *sqlx.Tx, accountID string, tickets []string) error {
	if len(tickets) == 0 {
		return nil
	}
	return runAnonymise(ctx, tx, anonymiseTicketSteps, accountID, tickets)
}

// runAnonymise runs steps over ids ($2) of the account ($1), with the marker as $3 where a step uses it.
func runAnonymise(ctx context.Context, tx *sqlx.Tx, steps []struct{ what, sql string }, accountID string, ids []string) error {
	for _, st := range steps {
		args := []any{accountID, ids}
		if strings.Contains(st.sql, "$3") {
			args = append(args, AnonymisedMarker)
		}
		if _, err := tx.ExecContext(ctx, st.sql, args...); err != nil {
			return fmt.Errorf("anonymise %s: %w", st.what, err)
		}
	}
	return nil
}
