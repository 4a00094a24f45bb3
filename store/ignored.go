package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// IgnoredInbound is inbound traffic a channel received and made no ticket of, and why.
type IgnoredInbound struct {
	ID        string `db:"id" json:"id"`
	ChannelID string `db:"channel_id" json:"channel_id"`
	// Reason is a short code: auto_reply, bounce, own_address, malformed_webhook.
	Reason string `db:"reason" json:"reason"`
	// Detail says more: the header that made the mail an auto-reply, the bounce's diagnostic.
	Detail string `db:"detail" json:"detail"`
	// ExternalID is the provider's id (an email's Message-ID).
	ExternalID string        `db:"external_id" json:"external_id"`
	Author     domain.Author `db:"-" json:"author"`
	Subject    string        `db:"subject" json:"subject"`
	// Source is how it arrived (smtp, imap, raw).
	Source string `db:"source" json:"source"`
	// ConversationID is the conversation it belongs to, when known (a bounce of one of our replies).
	ConversationID *string   `db:"conversation_id" json:"conversation_id"`
	ReceivedAt     time.Time `db:"received_at" json:"received_at"`

	AuthorJSON []byte `db:"author" json:"-"`
}

// RecordIgnored keeps a record of ignored inbound traffic; a redelivery (same channel and external id) is recorded once.
// It reports whether a new record was made.
func (s *Store) RecordIgnored(ctx context.Context, accountID string, in IgnoredInbound) (bool, error) {
	author, _ := json.Marshal(in.Author)
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO ignored_inbound (id, account_id, channel_id, reason, detail, external_id, author, subject, source, conversation_id)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		NewID("ign"), accountID, in.ChannelID, in.Reason, clipReason(in.Detail), clipReason(in.ExternalID), clipText(string(author)),
		clipReason(in.Subject), in.Source, in.ConversationID)
	if err != nil {
		return false, fmt.Errorf("record ignored inbound: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// IgnoredInboundOf lists the channel's ignored inbound traffic, newest first, a page at a time.
func (s *Store) IgnoredInboundOf(ctx context.Context, accountID, channelID string, page Page) ([]IgnoredInbound, error) {
	var out []IgnoredInbound
	err := s.db.SelectContext(ctx, &out,
		`SELECT id, channel_id, reason, detail, external_id, author, subject, source, conversation_id, received_at
		   FROM ignored_inbound WHERE account_id = $1 AND channel_id = $2 AND ($3 = '' OR id < $3)
		  ORDER BY id DESC LIMIT $4`, accountID, channelID, page.After, page.Limit)
	if err != nil {
		return nil, fmt.Errorf("list ignored inbound: %w", err)
	}
	for i := range out {
		if err := json.Unmarshal(out[i].AuthorJSON, &out[i].Author); err != nil {
			return nil, fmt.Errorf("decode the author of %s: %w", out[i].ID, err)
		}
	}
	return out, nil
}

// ConversationOfProviderID returns the conversation of the channel's outbound message with the provider id ("" when none).
func (s *Store) ConversationOfProviderID(ctx context.Context, channelID, providerID string) (string, error) {
	var id string
	err := s.db.GetContext(ctx, &id,
		`SELECT conversation_id FROM messages WHERE channel_id = $1 AND provider_message_id = $2 AND direction = 'outbound' LIMIT 1`,
		channelID, providerID)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find the conversation of a provider id: %w", err)
	}
	return id, nil
}
