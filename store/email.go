package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// EmailChannelByMailbox returns the email channel (of any account) that claims a mailbox
// (mailaddr.Mailbox): the connected owner, else an unproven (pending_verification) claim;
// found is false when none does.
func (s *Store) EmailChannelByMailbox(ctx context.Context, mailbox string) (ch domain.Channel, found bool, err error) {
	var row channelRow
	err = s.db.GetContext(ctx, &row, `SELECT `+channelColumns+` FROM channels
		WHERE type = 'email' AND external_key = $1 AND status <> 'disconnected'
		ORDER BY status = 'connected' DESC, created_at, id LIMIT 1`, mailbox)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Channel{}, false, nil
	}
	if err != nil {
		return domain.Channel{}, false, fmt.Errorf("find the email channel of a mailbox: %w", err)
	}
	ch, err = row.channel()
	return ch, err == nil, err
}

// maxThreadIDs bounds the Message-IDs one thread lookup sends to PostgreSQL.
const maxThreadIDs = 50

// ThreadByMessageIDs returns the thread key of the channel's conversation holding
// one of the Message-IDs: an inbound mail's (its external id) or one of our replies' (its provider id).
// It looks at most at the last maxThreadIDs ids (a References header grows oldest first) and skips
// ids PostgreSQL cannot hold (invalid UTF-8, NUL).
func (s *Store) ThreadByMessageIDs(ctx context.Context, channelID string, ids []string) (string, bool, error) {
	if len(ids) > maxThreadIDs {
		ids = ids[len(ids)-maxThreadIDs:]
	}
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool {
		return id == "" || !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0
	})
	if len(ids) == 0 {
		return "", false, nil
	}
	var key string
	err := s.db.GetContext(ctx, &key,
		`SELECT c.thread_key FROM messages m JOIN conversations c ON c.id = m.conversation_id
		  WHERE m.channel_id = $1 AND c.channel_id = $1 AND (m.external_id = ANY($2) OR m.provider_message_id = ANY($2))
		  ORDER BY m.id DESC LIMIT 1`, channelID, ids)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("find thread by message ids: %w", err)
	}
	return key, true, nil
}

// ThreadByTicket returns the thread key of the channel's conversation of a ticket.
func (s *Store) ThreadByTicket(ctx context.Context, channelID, ticketID string) (string, bool, error) {
	var key string
	err := s.db.GetContext(ctx, &key,
		`SELECT c.thread_key FROM tickets t JOIN conversations c ON c.id = t.conversation_id
		  WHERE t.id = $1 AND t.channel_id = $2`, ticketID, channelID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("find thread by ticket: %w", err)
	}
	return key, true, nil
}

// EmailThreadHeaders is what a reply needs of its conversation: the first subject and every Message-ID, oldest first.
type EmailThreadHeaders struct {
	Subject    string
	MessageIDs []string
}

// EmailThread returns the conversation's subject and the Message-IDs of its mails (inbound external ids, our replies' provider ids);
// a form's or a call's conversation answered by email holds other messages, whose ids are no Message-IDs.
func (s *Store) EmailThread(ctx context.Context, accountID, conversationID string) (EmailThreadHeaders, error) {
	var rows []struct {
		Direction string `db:"direction"`
		Subject   string `db:"subject"`
		ID        string `db:"id"`
	}
	err := s.db.SelectContext(ctx, &rows,
		`SELECT direction, subject,
		        CASE WHEN ch.type <> 'email' THEN '' WHEN direction = 'inbound' THEN external_id ELSE COALESCE(provider_message_id, '') END AS id
		   FROM messages JOIN channels ch ON ch.id = messages.channel_id
		  WHERE messages.account_id = $1 AND conversation_id = $2 ORDER BY sent_at, messages.id LIMIT 500`, accountID, conversationID)
	if err != nil {
		return EmailThreadHeaders{}, fmt.Errorf("read email thread: %w", err)
	}
	var out EmailThreadHeaders
	for _, r := range rows {
		if out.Subject == "" && r.Direction == "inbound" {
			out.Subject = r.Subject
		}
		if r.ID != "" {
			out.MessageIDs = append(out.MessageIDs, r.ID)
		}
	}
	if out.Subject == "" { // a thread our reply started (a ticket without a channel): the ticket's subject
		err := s.db.GetContext(ctx, &out.Subject, `SELECT subject FROM tickets WHERE account_id = $1 AND conversation_id = $2`, accountID, conversationID)
		if err != nil && !isNoRows(err) {
			return out, fmt.Errorf("read the ticket's subject: %w", err)
		}
	}
	return out, nil
}

// FailOutboundByProviderID marks the channel's outbound message with the provider id failed with the reason (a bounce); it reports whether one was found.
func (s *Store) FailOutboundByProviderID(ctx context.Context, channelID, providerID, reason string) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE messages SET status = 'failed', failure_reason = $3
		  WHERE channel_id = $1 AND provider_message_id = $2 AND direction = 'outbound'`,
		channelID, providerID, clipReason(reason))
	if err != nil {
		return false, fmt.Errorf("mark bounced message failed: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// EmailMeta is what team email keeps beside a message: an inbound mail's
// classification, forwarder, quoted history and addresses; our reply's recipients.
type EmailMeta struct {
	MessageID      string
	ChannelID      string
	Kind           string
	Source         string
	ForwarderEmail string
	ForwarderName  string
	QuotedText     string
	MailFrom       string
	// HeaderFrom, ReplyTo, To and Cc are the mail's headers; Bcc only our reply's.
	HeaderFrom      MailAddress
	ReplyTo, To, Cc []MailAddress
	Bcc             []MailAddress
	// NoAutoReply names the header by which the mail asked for no automatic answers ("" when it did not).
	NoAutoReply string
}

// Attachment is a stored file of a message.
type Attachment struct {
	N           int    `db:"n" json:"n"`
	Name        string `db:"name" json:"name"`
	ContentType string `db:"content_type" json:"content_type"`
	Size        int    `db:"size" json:"size"`
	SHA256      string `db:"sha256" json:"sha256"`
	Inline      bool   `db:"inline" json:"inline"`
	ContentID   string `db:"content_id" json:"content_id,omitempty"`
	Content     []byte `db:"content" json:"-"`
	// Omitted reports an attachment over the size limit: listed with its name, type and size, its bytes not kept.
	Omitted bool `db:"omitted" json:"omitted"`
}

// SaveEmailMessage stores an inbound mail's metadata and attachments once (a repeat is a no-op).
func (s *Store) SaveEmailMessage(ctx context.Context, accountID string, meta EmailMeta, atts []Attachment) error {
	insertMeta := func(ctx context.Context, q sqlx.ExecerContext) (sql.Result, error) {
		return q.ExecContext(ctx,
			`INSERT INTO email_messages (message_id, channel_id, kind, source, forwarder_email, forwarder_name, quoted_text, mail_from,
			                             header_from, reply_to, to_addrs, cc_addrs, bcc_addrs, no_auto_reply)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (message_id) DO NOTHING`,
			meta.MessageID, meta.ChannelID, meta.Kind, meta.Source, meta.ForwarderEmail, meta.ForwarderName,
			clipText(meta.QuotedText), meta.MailFrom, jsonOf(meta.HeaderFrom),
			addressJSON(meta.ReplyTo), addressJSON(meta.To), addressJSON(meta.Cc), addressJSON(meta.Bcc), meta.NoAutoReply)
	}
	if len(atts) == 0 { // one statement: no transaction needed
		if _, err := insertMeta(ctx, s.db); err != nil {
			return fmt.Errorf("save email message %s: %w", meta.MessageID, err)
		}
		return nil
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := insertMeta(ctx, tx)
		if err != nil {
			return fmt.Errorf("insert email message: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // stored by an earlier delivery
		}
		return insertAttachments(ctx, tx, accountID, meta.MessageID, atts)
	})
	if err != nil {
		return fmt.Errorf("save email message %s: %w", meta.MessageID, err)
	}
	return nil
}

// insertAttachments stores a message's attachments (a repeat of one is a no-op).
func insertAttachments(ctx context.Context, tx *sqlx.Tx, accountID, messageID string, atts []Attachment) error {
	for _, a := range atts {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO message_attachments (message_id, n, account_id, name, content_type, size, sha256, inline, content_id, content, omitted)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
			messageID, a.N, accountID, clipReason(a.Name), a.ContentType, a.Size, a.SHA256, a.Inline, clipReason(a.ContentID),
			nonNilBytes(a.Content), a.Omitted); err != nil {
			return fmt.Errorf("insert attachment %d: %w", a.N, err)
		}
	}
	return nil
}

// clipText drops NUL and invalid UTF-8, which PostgreSQL text cannot hold.
func clipText(s string) string {
	return stripNUL(string([]rune(s)))
}

func stripNUL(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r != 0 {
			out = append(out, r)
		}
	}
	return string(out)
}

// MessageAttachments lists up to limit of a message's attachments after number after (-1 for the first), without their bytes.
func (s *Store) MessageAttachments(ctx context.Context, accountID, messageID string, after, limit int) ([]Attachment, error) {
	var out []Attachment
	err := s.db.SelectContext(ctx, &out,
		`SELECT n, name, content_type, size, sha256, inline, content_id, ''::bytea AS content, omitted
		   FROM message_attachments WHERE message_id = $1 AND account_id = $2 AND n > $3 ORDER BY n LIMIT $4`, messageID, accountID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	return out, nil
}

// MessageAttachment returns attachment n of the account's message, bytes included.
func (s *Store) MessageAttachment(ctx context.Context, accountID, messageID string, n int) (Attachment, error) {
	var a Attachment
	err := s.db.GetContext(ctx, &a,
		`SELECT n, name, content_type, size, sha256, inline, content_id, content, omitted
		   FROM message_attachments WHERE message_id = $1 AND account_id = $2 AND n = $3`, messageID, accountID, n)
	if err != nil {
		return Attachment{}, notFound(err, "get attachment")
	}
	return a, nil
}

// IMAPState is how far a channel's IMAP mailbox was imported.
type IMAPState struct {
	UIDValidity uint32
	LastUID     uint32
	LastSeen    time.Time
	// SeamUIDValidity and SeamUID are the history seam (see InitIMAPState); 0 when not recorded.
	SeamUIDValidity uint32
	SeamUID         uint32
}

// LoadIMAPState returns the channel's saved IMAP state; the zero state when there is none.
func (s *Store) LoadIMAPState(ctx context.Context, channelID string) (IMAPState, error) {
	var row struct {
		UIDValidity int64        `db:"uid_validity"`
		LastUID     int64        `db:"last_uid"`
		LastSeen    sql.NullTime `db:"last_seen"`
		SeamValid   int64        `db:"seam_uid_validity"`
		SeamUID     int64        `db:"seam_uid"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT uid_validity, last_uid, last_seen, seam_uid_validity, seam_uid
		FROM email_imap_state WHERE channel_id = $1`, channelID)
	if errors.Is(err, sql.ErrNoRows) {
		return IMAPState{}, nil
	}
	if err != nil {
		return IMAPState{}, fmt.Errorf("load imap state: %w", err)
	}
	return IMAPState{UIDValidity: uint32(row.UIDValidity), LastUID: uint32(row.LastUID), LastSeen: row.LastSeen.Time,
		SeamUIDValidity: uint32(row.SeamValid), SeamUID: uint32(row.SeamUID)}, nil
}

// SaveIMAPState saves the channel's IMAP state.
func (s *Store) SaveIMAPState(ctx context.Context, channelID string, st IMAPState) error {
	var seen sql.NullTime
	if !st.LastSeen.IsZero() {
		seen = sql.NullTime{Time: st.LastSeen, Valid: true}
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO email_imap_state (channel_id, uid_validity, last_uid, last_seen) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (channel_id) DO UPDATE SET uid_validity = $2, last_uid = $3, last_seen = $4, updated_at = now()`,
		channelID, int64(st.UIDValidity), int64(st.LastUID), seen)
	if err != nil {
		return fmt.Errorf("save imap state: %w", err)
	}
	return nil
}

// LeaseIMAP takes or renews owner's lease on polling the channel's mailbox for ttl;
// it reports false while another owner's lease runs.
func (s *Store) LeaseIMAP(ctx context.Context, channelID, owner string, ttl time.Duration) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO email_imap_state (channel_id, lease_owner, lease_until) VALUES ($1, $2, now() + $3::interval)
		 ON CONFLICT (channel_id) DO UPDATE SET lease_owner = $2, lease_until = now() + $3::interval
		  WHERE email_imap_state.lease_owner = $2 OR email_imap_state.lease_until IS NULL OR email_imap_state.lease_until < now()`,
		channelID, owner, fmt.Sprintf("%d milliseconds", ttl.Milliseconds()))
	if err != nil {
		return false, fmt.Errorf("lease imap mailbox: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ReleaseIMAP gives up owner's lease on the channel's mailbox.
func (s *Store) ReleaseIMAP(ctx context.Context, channelID, owner string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE email_imap_state SET lease_until = NULL WHERE channel_id = $1 AND lease_owner = $2`, channelID, owner)
	if err != nil {
		return fmt.Errorf("release imap lease: %w", err)
	}
	return nil
}

// UserName returns the name of the account's user (the replying agent); "" when unknown.
func (s *Store) UserName(ctx context.Context, accountID, userID string) (string, error) {
	if userID == "" {
		return "", nil
	}
	var name string
	err := s.db.GetContext(ctx, &name, `SELECT name FROM users WHERE id = $1 AND account_id = $2`, userID, accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read user name: %w", err)
	}
	return name, nil
}

// TicketOfConversation returns the id of the conversation's ticket; "" when it has none yet.
func (s *Store) TicketOfConversation(ctx context.Context, accountID, conversationID string) (string, error) {
	var id string
	err := s.db.GetContext(ctx, &id, `SELECT id FROM tickets WHERE conversation_id = $1 AND account_id = $2`, conversationID, accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read ticket of conversation: %w", err)
	}
	return id, nil
}
