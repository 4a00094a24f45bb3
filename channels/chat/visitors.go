package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// visitor is one chat_visitors row.
type visitor struct {
	ID              string         `db:"id"`
	AccountID       string         `db:"account_id"`
	ChannelID       string         `db:"channel_id"`
	VerifiedEmail   sql.NullString `db:"verified_email"`
	Name            string         `db:"name"`
	UnverifiedEmail string         `db:"unverified_email"`
}

// author is how the visitor appears on their inbound messages: only a verified email links a contact.
func (v visitor) author() domain.Author {
	return domain.Author{ExternalUserID: v.ID, Email: v.VerifiedEmail.String, Name: v.Name}
}

// properties are what the ticket learns from a visitor's message: outside_hours when the chat was closed,
// and the email an unverified visitor typed (never used to find a contact).
func (v visitor) properties(st Status) map[string]any {
	p := map[string]any{}
	if !st.Open {
		p["outside_hours"] = true
	}
	if v.UnverifiedEmail != "" && !v.VerifiedEmail.Valid {
		p["unverified_email"] = v.UnverifiedEmail
	}
	return p
}

// threadKey is the visitor's conversation: one per visitor.
func (v visitor) threadKey() string { return "visitor:" + v.ID }

// signingKey returns the channel's token key, creating it on first use.
func (c *Channel) signingKey(ctx context.Context, db *sqlx.DB, channelID string) ([]byte, error) {
	if k, ok := c.keys.Load(channelID); ok {
		return k.([]byte), nil
	}
	fresh := make([]byte, 32)
	_, _ = rand.Read(fresh) // crypto/rand.Read never fails
	if _, err := db.ExecContext(ctx, `INSERT INTO chat_keys (channel_id, key) VALUES ($1, $2) ON CONFLICT (channel_id) DO NOTHING`,
		channelID, fresh); err != nil {
		return nil, fmt.Errorf("store chat signing key: %w", err)
	}
	var key []byte
	if err := db.GetContext(ctx, &key, `SELECT key FROM chat_keys WHERE channel_id = $1`, channelID); err != nil {
		return nil, fmt.Errorf("read chat signing key: %w", err)
	}
	c.keys.Store(channelID, key)
	return key, nil
}

const visitorColumns = `id, account_id, channel_id, verified_email, name, unverified_email`

// loadVisitor returns the channel's visitor id (sql.ErrNoRows when there is none).
func loadVisitor(ctx context.Context, db *sqlx.DB, channelID, id string) (visitor, error) {
	var v visitor
	err := db.GetContext(ctx, &v, `UPDATE chat_visitors SET seen_at = now() WHERE channel_id = $1 AND id = $2 RETURNING `+visitorColumns, channelID, id)
	if err != nil {
		return v, fmt.Errorf("load chat visitor: %w", err)
	}
	return v, nil
}

// newVisitor stores a new anonymous visitor of ch.
func newVisitor(ctx context.Context, db *sqlx.DB, ch domain.Channel, name, unverifiedEmail string) (visitor, error) {
	var v visitor
	err := db.GetContext(ctx, &v,
		`INSERT INTO chat_visitors (id, account_id, channel_id, name, unverified_email) VALUES ($1, $2, $3, $4, $5) RETURNING `+visitorColumns,
		store.NewID("vis"), ch.AccountID, ch.ID, name, unverifiedEmail)
	if err != nil {
		return v, fmt.Errorf("add chat visitor: %w", err)
	}
	return v, nil
}

// verifiedVisitor returns the channel's visitor of a verified email, creating it: a logged-in user finds their conversation on any device.
func verifiedVisitor(ctx context.Context, db *sqlx.DB, ch domain.Channel, email, name string) (visitor, error) {
	var v visitor
	err := db.GetContext(ctx, &v,
		`INSERT INTO chat_visitors (id, account_id, channel_id, verified_email, name) VALUES ($1, $2, $3, $4, $5)
		 ON CONFLICT (channel_id, lower(verified_email)) WHERE verified_email IS NOT NULL
		 DO UPDATE SET seen_at = now(), name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE chat_visitors.name END
		 RETURNING `+visitorColumns,
		store.NewID("vis"), ch.AccountID, ch.ID, email, name)
	if err != nil {
		return v, fmt.Errorf("add verified chat visitor: %w", err)
	}
	return v, nil
}

// updateVisitor records what an unverified visitor told about themselves (the email to answer them at).
func updateVisitor(ctx context.Context, db *sqlx.DB, v visitor, name, unverifiedEmail string) (visitor, error) {
	err := db.GetContext(ctx, &v,
		`UPDATE chat_visitors SET name = CASE WHEN $3 <> '' THEN $3 ELSE name END,
		        unverified_email = CASE WHEN $4 <> '' THEN $4 ELSE unverified_email END
		  WHERE channel_id = $1 AND id = $2 RETURNING `+visitorColumns, v.ChannelID, v.ID, name, unverifiedEmail)
	if err != nil {
		return v, fmt.Errorf("update chat visitor: %w", err)
	}
	return v, nil
}

// threadHash is the thread_hash of the visitor's conversation.
func threadHash(v visitor) []byte {
	sum := sha256.Sum256([]byte(v.threadKey()))
	return sum[:]
}

// conversationID returns the visitor's conversation, "" before their first message.
func conversationID(ctx context.Context, db *sqlx.DB, v visitor) (string, error) {
	var id string
	err := db.GetContext(ctx, &id, `SELECT id FROM conversations WHERE channel_id = $1 AND thread_hash = $2`, v.ChannelID, threadHash(v))
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find chat conversation: %w", err)
	}
	return id, nil
}

// Message is one message of a visitor's conversation as the widget shows it: no internal data, no agent emails.
type Message struct {
	ID string `json:"id"`
	// ClientID is the widget's id of an inbound message ("" for agents' replies).
	ClientID string `json:"client_id,omitempty"`
	// Direction is inbound (the visitor's) or outbound (an agent's reply).
	Direction string    `json:"direction"`
	Text      string    `json:"text"`
	SentAt    time.Time `json:"sent_at"`
	// AgentName is the replying agent's name ("" when unknown).
	AgentName string `json:"agent_name,omitempty"`
	// Files are an agent's files sent with the reply, each with its download link.
	Files []File `json:"files,omitempty"`
	// Rating is set on a satisfaction survey's invitation: the widget shows 1–5 buttons under it.
	Rating *RatingPrompt `json:"rating,omitempty"`
}

// RatingPrompt is where a survey invitation's rating buttons post their answer.
type RatingPrompt struct {
	// URL is the survey's rating endpoint, relative to the API (POST {"rating": 1..5}).
	URL string `json:"url"`
}

// messageRow is a visitor-visible message as read from the messages table.
type messageRow struct {
	ID         string         `db:"id"`
	ExternalID string         `db:"external_id"`
	Direction  string         `db:"direction"`
	Text       string         `db:"text"`
	SentAt     time.Time      `db:"sent_at"`
	AgentName  string         `db:"agent_name"`
	Files      sql.NullString `db:"files"`
	CSATToken  string         `db:"csat_token"`
}

// externalPrefix starts the external id of a visitor's message; the client id follows.
func externalPrefix(visitorID string) string { return "chat:" + visitorID + ":" }

// visibleMessages returns up to limit messages of the visitor's conversation with ids after after, oldest first:
// the visitor's own and agents' sent replies (not queued, failed or suppressed ones).
// link gives a reply's files their download links.
func visibleMessages(ctx context.Context, db *sqlx.DB, v visitor, conversationID, after string, limit int,
	link func(id string, files []fileRow) []File) ([]Message, error) {
	var rows []messageRow
	err := db.SelectContext(ctx, &rows,
		`SELECT m.id, m.external_id, m.direction, m.text, m.sent_at, COALESCE(u.name, '') AS agent_name,
		        CASE WHEN m.direction = 'outbound' THEN
		          (SELECT json_agg(json_build_object('n', a.n, 'name', a.name, 'content_type', a.content_type, 'size', a.size) ORDER BY a.n)
		             FROM message_attachments a WHERE a.message_id = m.id AND a.account_id = m.account_id AND NOT a.omitted)
		        END::text AS files,
		        CASE WHEN m.direction = 'outbound' THEN COALESCE(m.properties->'csat'->>'token', '') ELSE '' END AS csat_token
		   FROM messages m
		   LEFT JOIN users u ON m.direction = 'outbound' AND u.account_id = m.account_id AND u.id = m.author->>'user_id'
		  WHERE m.account_id = $1 AND m.channel_id = $2 AND m.conversation_id = $3 AND m.id > $4
		    AND (m.direction = 'inbound' OR m.status = 'sent')
		  ORDER BY m.id LIMIT $5`, v.AccountID, v.ChannelID, conversationID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list chat messages: %w", err)
	}
	out := make([]Message, 0, len(rows))
	prefix := externalPrefix(v.ID)
	for _, r := range rows {
		m := Message{ID: r.ID, Direction: r.Direction, Text: r.Text, SentAt: r.SentAt.UTC()}
		if r.Direction == "inbound" {
			m.ClientID = strings.TrimPrefix(r.ExternalID, prefix)
		} else {
			m.AgentName = r.AgentName
		}
		if r.CSATToken != "" {
			m.Rating = &RatingPrompt{URL: "/csat/" + url.PathEscape(r.CSATToken)}
		}
		if r.Files.Valid {
			var files []fileRow
			if err := json.Unmarshal([]byte(r.Files.String), &files); err != nil {
				return nil, fmt.Errorf("decode the files of chat message %s: %w", r.ID, err)
			}
			m.Files = link(r.ID, files)
		}
		out = append(out, m)
	}
	return out, nil
}

// channelAccount returns the account of a chat channel id, sql.ErrNoRows when there is no such chat channel.
func channelAccount(ctx context.Context, db *sqlx.DB, channelID string) (string, error) {
	var account string
	err := db.GetContext(ctx, &account, `SELECT account_id FROM channels WHERE id = $1 AND type = $2`, channelID, string(Type))
	return account, err
}
