package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// ChannelKeyPrefix starts every channel key, so a key is never mistaken for an account token.
const ChannelKeyPrefix = "rdc_"

// ChannelKey is a credential for one channel's inbound routes; the secret itself is only known when it is created.
type ChannelKey struct {
	ID        string    `db:"id" json:"id"`
	ChannelID string    `db:"channel_id" json:"channel_id"`
	Name      string    `db:"name" json:"name"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	// Key is the secret, set only in the answer to its creation.
	Key string `db:"-" json:"key,omitempty"`
}

// ChannelPrincipal is who a channel key authenticates: a channel of an account.
type ChannelPrincipal struct {
	AccountID string `db:"account_id"`
	Tier      string `db:"tier"`
	ChannelID string `db:"channel_id"`
	KeyID     string `db:"id"`
}

// newChannelKey returns a new random channel key (256 bits, URL-safe).
func newChannelKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return ChannelKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// CreateChannelKey issues a key for a channel of the account; the answer is the only place the key appears.
func (s *Store) CreateChannelKey(ctx context.Context, accountID, channelID, name string) (ChannelKey, error) {
	key := ChannelKey{ID: NewID("ckey"), ChannelID: channelID, Name: name, Key: newChannelKey()}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := channelExists(ctx, tx, accountID, channelID); err != nil {
			return err
		}
		return tx.GetContext(ctx, &key.CreatedAt,
			`INSERT INTO channel_keys (id, account_id, channel_id, key_hash, name) VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
			key.ID, accountID, channelID, hashToken(key.Key), name)
	})
	if err != nil {
		return ChannelKey{}, fmt.Errorf("create channel key: %w", err)
	}
	return key, nil
}

func channelExists(ctx context.Context, q sqlx.QueryerContext, accountID, channelID string) error {
	var exists bool
	if err := sqlx.GetContext(ctx, q, &exists, `SELECT EXISTS (SELECT 1 FROM channels WHERE id = $1 AND account_id = $2)`, channelID, accountID); err != nil {
		return fmt.Errorf("look up channel: %w", err)
	}
	if !exists {
		return fmt.Errorf("channel %s: %w", channelID, domain.ErrNotFound)
	}
	return nil
}

// ChannelKeys lists a channel's keys, oldest first, after the page's cursor; secrets are never shown.
func (s *Store) ChannelKeys(ctx context.Context, accountID, channelID string, page Page) ([]ChannelKey, error) {
	if err := channelExists(ctx, s.db, accountID, channelID); err != nil {
		return nil, fmt.Errorf("list channel keys: %w", err)
	}
	var keys []ChannelKey
	err := s.db.SelectContext(ctx, &keys,
		`SELECT id, channel_id, name, created_at FROM channel_keys
		  WHERE account_id = $1 AND channel_id = $2 AND id > $3 ORDER BY id LIMIT $4`, accountID, channelID, page.After, page.Limit)
	if err != nil {
		return nil, fmt.Errorf("list channel keys: %w", err)
	}
	return keys, nil
}

// DeleteChannelKey revokes a channel's key at once; ErrNotFound when the channel has no such key.
func (s *Store) DeleteChannelKey(ctx context.Context, accountID, channelID, keyID string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM channel_keys WHERE id = $1 AND channel_id = $2 AND account_id = $3`, keyID, channelID, accountID)
	if err != nil {
		return fmt.Errorf("delete channel key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("channel key %s: %w", keyID, domain.ErrNotFound)
	}
	return nil
}

// AuthenticateChannelKey resolves a channel key to its channel and account, or ErrNotFound.
func (s *Store) AuthenticateChannelKey(ctx context.Context, key string) (ChannelPrincipal, error) {
	var p ChannelPrincipal
	err := s.db.GetContext(ctx, &p,
		`SELECT k.id, k.account_id, k.channel_id, a.tier
		   FROM channel_keys k JOIN accounts a ON a.id = k.account_id
		  WHERE k.key_hash = $1`, hashToken(key))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("authenticate channel key: %w", domain.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("authenticate channel key: %w", err)
	}
	return p, nil
}

// ChannelByID returns a channel by id in any account, for inbound work without an account token (signatures, public forms, the SMTP listener).
func (s *Store) ChannelByID(ctx context.Context, id string) (domain.Channel, error) {
	var row channelRow
	if err := s.db.GetContext(ctx, &row, `SELECT `+channelColumns+` FROM channels WHERE id = $1`, id); err != nil {
		return domain.Channel{}, notFound(err, "get channel")
	}
	return row.channel()
}
