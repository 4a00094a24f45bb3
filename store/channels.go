package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

type channelRow struct {
	ID             string          `db:"id"`
	AccountID      string          `db:"account_id"`
	Type           string          `db:"type"`
	Name           string          `db:"name"`
	Status         string          `db:"status"`
	Config         json.RawMessage `db:"config"`
	TicketDefaults json.RawMessage `db:"ticket_defaults"`
	Routing        json.RawMessage `db:"routing"`
	Version        int             `db:"version"`
	DisconnectedAt sql.NullTime    `db:"disconnected_at"`
	StatusReason   string          `db:"status_reason"`
	VerifiedAt     sql.NullTime    `db:"verified_at"`
	VerifiedBy     string          `db:"verified_by"`
	CreatedAt      time.Time       `db:"created_at"`
	UpdatedAt      time.Time       `db:"updated_at"`
}

const channelColumns = `id, account_id, type, name, status, config, ticket_defaults, routing, version, disconnected_at,
	status_reason, verified_at, verified_by, created_at, updated_at`

func (r channelRow) channel() (domain.Channel, error) {
	ch := domain.Channel{
		ID: r.ID, AccountID: r.AccountID, Type: r.Type, Name: r.Name, Status: r.Status,
		Config: r.Config, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		StatusReason: r.StatusReason, VerifiedBy: r.VerifiedBy,
	}
	if r.VerifiedAt.Valid {
		at := r.VerifiedAt.Time
		ch.VerifiedAt = &at
	}
	if r.DisconnectedAt.Valid {
		at := r.DisconnectedAt.Time
		ch.DisconnectedAt = &at
	}
	if err := json.Unmarshal(r.TicketDefaults, &ch.TicketDefaults); err != nil {
		return ch, fmt.Errorf("decode ticket defaults of %s: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.Routing, &ch.Routing); err != nil {
		return ch, fmt.Errorf("decode routing of %s: %w", r.ID, err)
	}
	ch.TicketDefaults = ch.TicketDefaults.WithDefaults()
	ch.Routing = ch.Routing.WithDefaults()
	return ch, nil
}

// ChannelWrite is what creating or replacing a channel stores.
type ChannelWrite struct {
	Type        string
	Name        string
	Redacted    json.RawMessage // config shown by the API, secrets as "***"
	Full        json.RawMessage // config with secrets, sealed at rest
	ExternalKey string          // page id, phone number id, calling number, email mailbox; "" if none
	// Proof says whether the channel's identity must be proven before it connects (ProofRequired),
	// is taken as proven (ProofAuto, verification off), or is not something routedesk proves ("").
	Proof          string
	TicketDefaults domain.TicketDefaults
	Routing        domain.Routing
	// Status connects or disconnects the channel; "" keeps its status.
	Status string
}

func (s *Store) seal(channelID string, full json.RawMessage) ([]byte, error) {
	if s.box == nil {
		return nil, fmt.Errorf("seal channel config: no secret key configured")
	}
	sealed, err := s.box.Seal(full, []byte(channelID))
	if err != nil {
		return nil, fmt.Errorf("seal channel config: %w", err)
	}
	return sealed, nil
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// CreateChannel stores a new channel of the account.
func (s *Store) CreateChannel(ctx context.Context, accountID string, w ChannelWrite) (domain.Channel, error) {
	id := NewID("ch")
	sealed, err := s.seal(id, w.Full)
	if err != nil {
		return domain.Channel{}, err
	}
	defaults, _ := json.Marshal(w.TicketDefaults)
	routing, _ := json.Marshal(w.Routing)
	var row channelRow
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkNotUserEmail(ctx, tx, accountID, w); err != nil {
			return err
		}
		if err := lockClaim(ctx, tx, w.Type, w.ExternalKey); err != nil {
			return err
		}
		err := tx.QueryRowxContext(ctx,
			`INSERT INTO channels (id, account_id, type, name, config, config_sealed, external_key, ticket_defaults, routing,
			                       status, verified_at, verified_by)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
			         CASE WHEN $10 = 'required' THEN 'pending_verification' ELSE 'connected' END,
			         CASE WHEN $10 = 'auto' THEN now() END, CASE WHEN $10 = 'auto' THEN 'auto' ELSE '' END) RETURNING `+channelColumns,
			id, accountID, w.Type, w.Name, []byte(w.Redacted), sealed, nullable(w.ExternalKey), defaults, routing, w.Proof).StructScan(&row)
		if c := externalKeyConflict(err, w.ExternalKey); c != nil {
			return c
		}
		if err != nil {
			return err
		}
		return checkPendingClaim(ctx, tx, row, w.ExternalKey)
	})
	if err != nil {
		return domain.Channel{}, fmt.Errorf("create channel: %w", err)
	}
	return row.channel()
}

// UpdateChannel replaces a channel's name, config, defaults and routing and bumps its version.
func (s *Store) UpdateChannel(ctx context.Context, accountID, id string, w ChannelWrite) (domain.Channel, error) {
	sealed, err := s.seal(id, w.Full)
	if err != nil {
		return domain.Channel{}, err
	}
	defaults, _ := json.Marshal(w.TicketDefaults)
	routing, _ := json.Marshal(w.Routing)
	var row channelRow
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkNotUserEmail(ctx, tx, accountID, w); err != nil {
			return err
		}
		if err := lockClaim(ctx, tx, w.Type, w.ExternalKey); err != nil {
			return err
		}
		// A code mailed to the old identity must not prove the new one; the new one may be mailed at once.
		if _, err := tx.ExecContext(ctx, `UPDATE channel_verifications v SET code_hash = NULL, expires_at = NULL, last_sent_at = NULL
		    FROM channels c WHERE v.channel_id = c.id AND c.id = $1 AND c.account_id = $2 AND c.external_key IS DISTINCT FROM $3`,
			id, accountID, nullable(w.ExternalKey)); err != nil {
			return fmt.Errorf("void the old verification code: %w", err)
		}
		err := tx.QueryRowxContext(ctx,
			`UPDATE channels SET name = $3, config = $4, config_sealed = $5, external_key = $6,
			        ticket_defaults = $7, routing = $8, version = version + 1, updated_at = now(), `+statusSQL("$9::text", "$6::text", "$10::text")+`
			  WHERE id = $1 AND account_id = $2 RETURNING `+channelColumns,
			id, accountID, w.Name, []byte(w.Redacted), sealed, nullable(w.ExternalKey), defaults, routing, w.Status, w.Proof).StructScan(&row)
		if c := externalKeyConflict(err, w.ExternalKey); c != nil {
			return c
		}
		if err != nil {
			return notFound(err, "update channel")
		}
		return checkPendingClaim(ctx, tx, row, w.ExternalKey)
	})
	if err != nil {
		return domain.Channel{}, fmt.Errorf("update channel: %w", err)
	}
	return row.channel()
}

// SetChannelConfig replaces a channel's configuration (full, sealed; and redacted) and bumps its version.
func (s *Store) SetChannelConfig(ctx context.Context, accountID, id string, full, redacted json.RawMessage) (domain.Channel, error) {
	sealed, err := s.seal(id, full)
	if err != nil {
		return domain.Channel{}, err
	}
	var row channelRow
	err = s.db.QueryRowxContext(ctx,
		`UPDATE channels SET config = $3, config_sealed = $4, version = version + 1, updated_at = now()
		  WHERE id = $1 AND account_id = $2 RETURNING `+channelColumns, id, accountID, []byte(redacted), sealed).StructScan(&row)
	if err != nil {
		return domain.Channel{}, notFound(err, "set channel config")
	}
	return row.channel()
}

// Channel returns one channel of the account.
func (s *Store) Channel(ctx context.Context, accountID, id string) (domain.Channel, error) {
	var row channelRow
	err := s.db.GetContext(ctx, &row, `SELECT `+channelColumns+` FROM channels WHERE id = $1 AND account_id = $2`, id, accountID)
	if err != nil {
		return domain.Channel{}, notFound(err, "get channel")
	}
	return row.channel()
}

// ChannelConfig returns a channel's configuration with its secrets, unsealed.
func (s *Store) ChannelConfig(ctx context.Context, accountID, id string) (json.RawMessage, error) {
	var sealed []byte
	err := s.db.GetContext(ctx, &sealed, `SELECT config_sealed FROM channels WHERE id = $1 AND account_id = $2`, id, accountID)
	if err != nil {
		return nil, notFound(err, "get channel config")
	}
	if s.box == nil {
		return nil, fmt.Errorf("unseal channel config: no secret key configured")
	}
	full, err := s.box.Open(sealed, []byte(id))
	if err != nil {
		return nil, fmt.Errorf("unseal channel config of %s: %w", id, err)
	}
	return full, nil
}

// ListChannels returns a page of the account's channels, oldest first, after the cursor id.
func (s *Store) ListChannels(ctx context.Context, accountID string, page Page) ([]domain.Channel, error) {
	var rows []channelRow
	err := s.db.SelectContext(ctx, &rows,
		`SELECT `+channelColumns+` FROM channels WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		accountID, page.After, page.Limit)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	return channelsOf(rows)
}

// SetChannelStatus connects or disconnects a channel (proof as ChannelWrite.Proof: a
// connecting channel whose address is not proven becomes pending_verification).
// Reconnecting a channel whose identity another channel claimed meanwhile is a *domain.ClaimConflict.
func (s *Store) SetChannelStatus(ctx context.Context, accountID, id, status, proof string) (domain.Channel, error) {
	var row channelRow
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var cur struct {
			Type string `db:"type"`
			Key  string `db:"key"`
		}
		err := tx.GetContext(ctx, &cur, `SELECT type, COALESCE(external_key, '') AS key FROM channels WHERE id = $1 AND account_id = $2`, id, accountID)
		if err != nil {
			return notFound(err, "set channel status")
		}
		if err := lockClaim(ctx, tx, cur.Type, cur.Key); err != nil {
			return err
		}
		err = tx.QueryRowxContext(ctx,
			`UPDATE channels SET updated_at = now(), `+statusSQL("$3::text", "external_key", "$4::text")+`
			  WHERE id = $1 AND account_id = $2 RETURNING `+channelColumns, id, accountID, status, proof).StructScan(&row)
		if isUniqueViolation(err, "channels_owner") {
			return fmt.Errorf("reconnect channel: %w", &domain.ClaimConflict{Value: cur.Key})
		}
		if err != nil {
			return notFound(err, "set channel status")
		}
		return checkPendingClaim(ctx, tx, row, cur.Key)
	})
	if err != nil {
		return domain.Channel{}, err
	}
	return row.channel()
}

// DeleteChannel removes a channel for good only when nothing ever came in on
// it (no conversation, no ticket); any other channel is disconnected instead,
// so its tickets, messages and rules stay. removed says which happened. A
// removed channel's rules go with it.
func (s *Store) DeleteChannel(ctx context.Context, accountID, id string) (removed bool, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var locked string
		if err := tx.GetContext(ctx, &locked, `SELECT id FROM channels WHERE id = $1 AND account_id = $2 FOR UPDATE`, id, accountID); err != nil {
			if isNoRows(err) {
				return domain.ErrNotFound
			}
			return fmt.Errorf("lock channel: %w", err)
		}
		var hasHistory bool
		if err := tx.GetContext(ctx, &hasHistory,
			`SELECT EXISTS (SELECT 1 FROM conversations WHERE channel_id = $1) OR EXISTS (SELECT 1 FROM tickets WHERE channel_id = $1)`, id); err != nil {
			return fmt.Errorf("look for the channel's history: %w", err)
		}
		if hasHistory {
			_, err := tx.ExecContext(ctx,
				`UPDATE channels SET status = 'disconnected', disconnected_at = COALESCE(disconnected_at, now()), status_reason = '', updated_at = now()
				  WHERE id = $1 AND account_id = $2`, id, accountID)
			if err != nil {
				return fmt.Errorf("disconnect channel: %w", err)
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM channels WHERE id = $1 AND account_id = $2`, id, accountID); err != nil {
			return fmt.Errorf("remove channel: %w", err)
		}
		removed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("delete channel: %w", err)
	}
	return removed, nil
}

// ConnectedChannel returns a channel of the account for one of its inbound
// routes: domain.ErrNotFound when there is none, domain.ErrChannelDisconnected
// when it is disconnected. Every inbound route goes through it.
func (s *Store) ConnectedChannel(ctx context.Context, accountID, id string) (domain.Channel, error) {
	ch, err := s.Channel(ctx, accountID, id)
	if err != nil {
		return ch, err
	}
	if ch.Status == domain.ChannelDisconnected {
		return ch, fmt.Errorf("channel %s was disconnected; reconnect it with PATCH {\"status\": \"connected\"}: %w", id, domain.ErrChannelDisconnected)
	}
	if ch.Status == domain.ChannelPendingVerification {
		return ch, fmt.Errorf("channel %s receives nothing until its address is verified (POST /v1/channels/%s/verify with the mailed code): %w",
			id, id, domain.ErrChannelUnverified)
	}
	return ch, nil
}

// Page selects one page of a keyset-paginated list.
type Page struct {
	After string // id of the last item of the previous page; "" for the first page
	Limit int
}

// ChannelByExternalKey finds the channel of a type that owns a globally unique
// key (a Messenger page id, a WhatsApp phone number id), in any account: the
// connected one, else the latest disconnected one (whose traffic is refused).
func (s *Store) ChannelByExternalKey(ctx context.Context, typ, key string) (domain.Channel, error) {
	var row channelRow
	err := s.db.GetContext(ctx, &row, `SELECT `+channelColumns+` FROM channels WHERE type = $1 AND external_key = $2
		ORDER BY status = 'connected' DESC, disconnected_at DESC, id LIMIT 1`, typ, key)
	if err != nil {
		return domain.Channel{}, notFound(err, "find channel by "+typ+" id")
	}
	return row.channel()
}

// ChannelsOfType lists the connected channels of one type across accounts (webhook handshakes).
func (s *Store) ChannelsOfType(ctx context.Context, typ string, limit int) ([]domain.Channel, error) {
	var rows []channelRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+channelColumns+` FROM channels WHERE type = $1 AND status = 'connected' ORDER BY id LIMIT $2`, typ, limit); err != nil {
		return nil, fmt.Errorf("list %s channels: %w", typ, err)
	}
	return channelsOf(rows)
}

// channelsOf decodes rows into channels.
func channelsOf(rows []channelRow) ([]domain.Channel, error) {
	out := make([]domain.Channel, 0, len(rows))
	for _, r := range rows {
		ch, err := r.channel()
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}
