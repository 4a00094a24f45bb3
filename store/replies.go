package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/routedesk/routedesk/domain"
)

// ConversationOfReply returns the conversation of another channel that one of ids (Message-IDs
// an inbound mail answers) belongs to: a reply to a form submission or a call that went out
// through channelID. ok is false when none of them is such a reply.
func (s *Store) ConversationOfReply(ctx context.Context, channelID string, ids []string) (string, bool, error) {
	if len(ids) > maxThreadIDs {
		ids = ids[len(ids)-maxThreadIDs:]
	}
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool {
		return id == "" || !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0
	})
	if len(ids) == 0 {
		return "", false, nil
	}
	var conv string
	err := s.db.GetContext(ctx, &conv,
		`SELECT c.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
		  WHERE m.channel_id = $1 AND c.channel_id <> $1 AND (m.provider_message_id = ANY($2) OR m.external_id = ANY($2))
		  ORDER BY m.id DESC LIMIT 1`, channelID, ids)
	if isNoRows(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("find the conversation a reply went out for: %w", err)
	}
	return conv, true, nil
}

// ConversationChannel returns the channel a conversation is on.
func (s *Store) ConversationChannel(ctx context.Context, accountID, conversationID string) (domain.Channel, error) {
	var channelID string
	if err := s.db.GetContext(ctx, &channelID, `SELECT channel_id FROM conversations WHERE id = $1 AND account_id = $2`,
		conversationID, accountID); err != nil {
		return domain.Channel{}, notFound(err, "conversation channel")
	}
	return s.Channel(ctx, accountID, channelID)
}

// SuppressOutbound records that an outbound message was not let out, and why.
func (s *Store) SuppressOutbound(ctx context.Context, accountID, messageID, reason string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE messages SET status = 'suppressed', failure_reason = $3 WHERE id = $1 AND account_id = $2 AND direction = 'outbound'`,
		messageID, accountID, clipReason(reason))
	if err != nil {
		return fmt.Errorf("mark outbound message suppressed: %w", err)
	}
	return nil
}

// TicketCustomer is how a reply through another channel than the conversation's reaches the
// ticket's contact: their email, name and phone, and the external user id they wrote through
// channelID with ("" when they never did).
func (s *Store) TicketCustomer(ctx context.Context, accountID, conversationID, channelID string) (domain.Author, error) {
	var a domain.Author
	var contactID string
	err := s.db.QueryRowxContext(ctx,
		`SELECT COALESCE(c.email, ''), c.name, COALESCE(c.phone, ''), c.id
		   FROM tickets t JOIN contacts c ON c.id = t.contact_id
		  WHERE t.account_id = $1 AND t.conversation_id = $2`, accountID, conversationID).Scan(&a.Email, &a.Name, &a.Phone, &contactID)
	if err != nil {
		return a, notFound(err, "ticket customer")
	}
	a.ExternalUserID, err = s.ContactChannelUser(ctx, accountID, contactID, channelID)
	return a, err
}

// ReplyChannels returns the account's connected channels of the types that can write to a
// contact first (email, then WhatsApp, then custom apps), oldest first within a type.
func (s *Store) ReplyChannels(ctx context.Context, accountID string) ([]domain.Channel, error) {
	var rows []channelRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+channelColumns+` FROM channels
		WHERE account_id = $1 AND status = 'connected' AND type IN ('email', 'whatsapp', 'custom')
		ORDER BY array_position(ARRAY['email', 'whatsapp', 'custom'], type), created_at, id LIMIT 200`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list reply channels: %w", err)
	}
	return channelsOf(rows)
}
