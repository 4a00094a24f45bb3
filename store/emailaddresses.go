package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// MailAddress is a mailbox of an email header: a display name and an address.
type MailAddress struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// jsonOf encodes v for a jsonb column, text cleaned for PostgreSQL.
func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return clipText(string(b))
}

// addressJSON encodes a list of addresses for a jsonb column (never null).
func addressJSON(list []MailAddress) string {
	if list == nil {
		list = []MailAddress{}
	}
	return jsonOf(list)
}

// nonNilBytes returns b, or an empty slice for nil (a NOT NULL bytea column).
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// EmailAddresses are the addresses of a mail: who it was from and who it was for.
type EmailAddresses struct {
	From            MailAddress
	ReplyTo, To, Cc []MailAddress
	Bcc             []MailAddress
}

// LatestInboundAddresses returns the addresses of the conversation's newest inbound mail
// written by a person (not an auto-reply or bounce); ok is false when it has none with addresses recorded.
func (s *Store) LatestInboundAddresses(ctx context.Context, accountID, conversationID string) (EmailAddresses, bool, error) {
	var row struct {
		From    []byte `db:"header_from"`
		ReplyTo []byte `db:"reply_to"`
		To      []byte `db:"to_addrs"`
		Cc      []byte `db:"cc_addrs"`
	}
	err := s.db.GetContext(ctx, &row,
		`SELECT e.header_from, e.reply_to, e.to_addrs, e.cc_addrs
		   FROM messages m JOIN email_messages e ON e.message_id = m.id
		  WHERE m.account_id = $1 AND m.conversation_id = $2 AND m.direction = 'inbound' AND e.kind = 'normal'
		    AND e.header_from <> '{}'::jsonb
		  ORDER BY m.sent_at DESC, m.id DESC LIMIT 1`, accountID, conversationID)
	if isNoRows(err) {
		return EmailAddresses{}, false, nil
	}
	if err != nil {
		return EmailAddresses{}, false, fmt.Errorf("read the thread's latest mail addresses: %w", err)
	}
	var out EmailAddresses
	for _, f := range []struct {
		raw []byte
		dst any
	}{{row.From, &out.From}, {row.ReplyTo, &out.ReplyTo}, {row.To, &out.To}, {row.Cc, &out.Cc}} {
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return EmailAddresses{}, false, fmt.Errorf("decode mail addresses: %w", err)
		}
	}
	return out, out.From.Email != "", nil
}

// SaveReplyRecipients records the recipients an agent chose for the reply whose
// external id will be externalID on the channel (a repeat keeps the first); a nil
// list was not chosen (JSON null) and keeps the default, an empty one means none.
func (s *Store) SaveReplyRecipients(ctx context.Context, accountID, channelID, externalID string, r EmailAddresses) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO email_reply_recipients (channel_id, external_id, account_id, to_addrs, cc_addrs, bcc_addrs)
		 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		channelID, externalID, accountID, jsonOf(r.To), jsonOf(r.Cc), jsonOf(r.Bcc))
	if err != nil {
		return fmt.Errorf("save reply recipients: %w", err)
	}
	return nil
}

// ReplyRecipients returns the recipients an agent chose for the account's stored reply messageID; ok is false when none were chosen.
func (s *Store) ReplyRecipients(ctx context.Context, accountID, messageID string) (EmailAddresses, bool, error) {
	var row struct {
		To  []byte `db:"to_addrs"`
		Cc  []byte `db:"cc_addrs"`
		Bcc []byte `db:"bcc_addrs"`
	}
	err := s.db.GetContext(ctx, &row,
		`SELECT r.to_addrs, r.cc_addrs, r.bcc_addrs FROM messages m
		   JOIN email_reply_recipients r ON r.channel_id = m.channel_id AND r.external_id = m.external_id
		  WHERE m.id = $1 AND m.account_id = $2`, messageID, accountID)
	if isNoRows(err) {
		return EmailAddresses{}, false, nil
	}
	if err != nil {
		return EmailAddresses{}, false, fmt.Errorf("read reply recipients: %w", err)
	}
	var out EmailAddresses
	for _, f := range []struct {
		raw []byte
		dst *[]MailAddress
	}{{row.To, &out.To}, {row.Cc, &out.Cc}, {row.Bcc, &out.Bcc}} {
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return EmailAddresses{}, false, fmt.Errorf("decode reply recipients: %w", err)
		}
	}
	return out, true, nil
}

// AccountEmailAddresses returns the team addresses of the account's email channels (any status), lower-cased.
func (s *Store) AccountEmailAddresses(ctx context.Context, accountID string) ([]string, error) {
	var out []string
	err := s.db.SelectContext(ctx, &out,
		`SELECT DISTINCT external_key FROM channels WHERE account_id = $1 AND type = 'email' AND external_key IS NOT NULL AND external_key <> ''`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list the account's email addresses: %w", err)
	}
	return out, nil
}
