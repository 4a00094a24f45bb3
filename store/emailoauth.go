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

// OAuthFlow is one mailbox consent in progress (an OAuth 2.0 authorization-code flow with PKCE).
type OAuthFlow struct {
	// State is the flow's random state parameter; only its hash is stored.
	State     string
	AccountID string
	// ChannelID is the email channel the consent connects; "" creates one named Name.
	ChannelID string
	Name      string
	Provider  string
	// Browser is the random value of the cookie set in the browser that started the flow; only its hash is stored.
	Browser string
	// Verifier is the PKCE code verifier, stored sealed.
	Verifier  string
	ExpiresAt time.Time
}

// CreateOAuthFlow stores a flow (and forgets flows that expired a day ago).
func (s *Store) CreateOAuthFlow(ctx context.Context, f OAuthFlow) error {
	stateHash := hashToken(f.State)
	sealed, err := s.sealWith(stateHash, []byte(f.Verifier))
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM email_oauth_flows WHERE expires_at < now() - interval '1 day'`); err != nil {
			return fmt.Errorf("prune oauth flows: %w", err)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO email_oauth_flows (state_hash, account_id, channel_id, name, provider, browser_hash, verifier_sealed, expires_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			stateHash, f.AccountID, nullable(f.ChannelID), f.Name, f.Provider, hashToken(f.Browser), sealed, f.ExpiresAt); err != nil {
			return fmt.Errorf("create oauth flow: %w", err)
		}
		return nil
	})
}

// TakeOAuthFlow returns and deletes the unexpired flow of state, started in the browser holding
// browser; any other state (unknown, used, expired, another browser's) is domain.ErrNotFound.
func (s *Store) TakeOAuthFlow(ctx context.Context, state, browser string) (OAuthFlow, error) {
	var row struct {
		AccountID string         `db:"account_id"`
		ChannelID sql.NullString `db:"channel_id"`
		Name      string         `db:"name"`
		Provider  string         `db:"provider"`
		Sealed    []byte         `db:"verifier_sealed"`
		ExpiresAt time.Time      `db:"expires_at"`
	}
	stateHash := hashToken(state)
	err := s.db.GetContext(ctx, &row,
		`DELETE FROM email_oauth_flows WHERE state_hash = $1 AND browser_hash = $2 AND expires_at > now()
		 RETURNING account_id, channel_id, name, provider, verifier_sealed, expires_at`, stateHash, hashToken(browser))
	if err != nil {
		return OAuthFlow{}, notFound(err, "take oauth flow")
	}
	verifier, err := s.openWith(stateHash, row.Sealed)
	if err != nil {
		return OAuthFlow{}, err
	}
	return OAuthFlow{State: state, AccountID: row.AccountID, ChannelID: row.ChannelID.String, Name: row.Name,
		Provider: row.Provider, Verifier: string(verifier), ExpiresAt: row.ExpiresAt}, nil
}

// OAuthGrant is a mailbox's grant from its provider.
type OAuthGrant struct {
	ChannelID string
	Provider  string
	// Account is the address the provider says the tokens belong to.
	Account string
	// Token is the provider's token (refresh and access), unsealed, as the email channel encodes it.
	Token json.RawMessage
	// AccessExpiresAt is when the access token in Token expires.
	AccessExpiresAt time.Time
	// Refreshes counts the refreshes of the grant.
	Refreshes int64
	// Failure is a refusal of the provider that needs a person (revoked consent); "" when none.
	Failure     string
	ConnectedAt time.Time
}

// OAuthMailbox is what connecting a mailbox through its provider stores at once: the channel
// (created when ChannelID is "", else replaced), proven by the provider, and its grant.
type OAuthMailbox struct {
	ChannelID string
	// Write is the channel; its Proof is ignored: the provider proved the address.
	Write ChannelWrite
	// Method is recorded as verified_by, e.g. "oauth:gmail".
	Method string
	Grant  OAuthGrant
}

// ConnectOAuthMailbox creates or updates the channel and stores its grant in one transaction; the
// channel is connected and proven (a disconnected one stays disconnected).
func (s *Store) ConnectOAuthMailbox(ctx context.Context, accountID string, m OAuthMailbox) (domain.Channel, error) {
	id := m.ChannelID
	if id == "" {
		id = NewID("ch")
	}
	sealed, err := s.seal(id, m.Write.Full)
	if err != nil {
		return domain.Channel{}, err
	}
	token, err := s.sealWith(grantAAD(id), m.Grant.Token)
	if err != nil {
		return domain.Channel{}, err
	}
	defaults, _ := json.Marshal(m.Write.TicketDefaults.WithDefaults())
	routing, _ := json.Marshal(m.Write.Routing.WithDefaults())
	var row channelRow
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkNotUserEmail(ctx, tx, accountID, m.Write); err != nil {
			return err
		}
		var err error
		if m.ChannelID == "" {
			err = tx.QueryRowxContext(ctx,
				`INSERT INTO channels (id, account_id, type, name, config, config_sealed, external_key, ticket_defaults, routing,
				                       status, verified_at, verified_by)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'connected', now(), $10) RETURNING `+channelColumns,
				id, accountID, m.Write.Type, m.Write.Name, []byte(m.Write.Redacted), sealed, nullable(m.Write.ExternalKey),
				defaults, routing, m.Method).StructScan(&row)
		} else {
			if _, err := tx.ExecContext(ctx, `UPDATE channel_verifications SET code_hash = NULL, expires_at = NULL, last_sent_at = NULL
			    WHERE channel_id = $1`, id); err != nil {
				return fmt.Errorf("void the verification code: %w", err)
			}
			err = tx.QueryRowxContext(ctx,
				`UPDATE channels SET config = $3, config_sealed = $4, external_key = $5, version = version + 1, updated_at = now(),
				        status = CASE WHEN status = 'disconnected' THEN status ELSE 'connected' END,
				        verified_at = now(), verified_by = $6
				  WHERE id = $1 AND account_id = $2 AND type = 'email' RETURNING `+channelColumns,
				id, accountID, []byte(m.Write.Redacted), sealed, nullable(m.Write.ExternalKey), m.Method).StructScan(&row)
			if isNoRows(err) {
				return domain.ErrNotFound
			}
		}
		if c := externalKeyConflict(err, m.Write.ExternalKey); c != nil {
			return c
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO email_oauth_grants (channel_id, provider, account, token_sealed, access_expires_at)
			 VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT (channel_id) DO UPDATE SET provider = $2, account = $3, token_sealed = $4, access_expires_at = $5,
			        failure = '', connected_at = now(), updated_at = now()`,
			id, m.Grant.Provider, m.Grant.Account, token, nullTime(m.Grant.AccessExpiresAt))
		if err != nil {
			return fmt.Errorf("store the oauth grant: %w", err)
		}
		return nil
	})
	if err != nil {
		return domain.Channel{}, fmt.Errorf("connect oauth mailbox: %w", err)
	}
	return row.channel()
}

// LoadOAuthGrant returns a channel's grant, unsealed; domain.ErrNotFound when it has none.
func (s *Store) LoadOAuthGrant(ctx context.Context, channelID string) (OAuthGrant, error) {
	var g OAuthGrant
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		g, err = s.grant(ctx, tx, channelID, "")
		return err
	})
	return g, err
}

// UpdateOAuthGrant runs fn on a channel's grant under its row lock, so that of several servers
// wanting a fresh access token at once one refreshes and the others read its result; when fn
// reports a change, the grant (Token, AccessExpiresAt, Refreshes, Failure) is saved.
func (s *Store) UpdateOAuthGrant(ctx context.Context, channelID string, fn func(g *OAuthGrant) (changed bool, err error)) (OAuthGrant, error) {
	var g OAuthGrant
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if g, err = s.grant(ctx, tx, channelID, " FOR UPDATE"); err != nil {
			return err
		}
		changed, err := fn(&g)
		if err != nil || !changed {
			return err
		}
		token, err := s.sealWith(grantAAD(channelID), g.Token)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE email_oauth_grants SET token_sealed = $2, access_expires_at = $3, refreshes = $4, failure = $5, updated_at = now()
			  WHERE channel_id = $1`, channelID, token, nullTime(g.AccessExpiresAt), g.Refreshes, g.Failure); err != nil {
			return fmt.Errorf("save oauth grant: %w", err)
		}
		return nil
	})
	return g, err
}

func (s *Store) grant(ctx context.Context, tx *sqlx.Tx, channelID, lock string) (OAuthGrant, error) {
	var row struct {
		Provider  string       `db:"provider"`
		Account   string       `db:"account"`
		Sealed    []byte       `db:"token_sealed"`
		Expires   sql.NullTime `db:"access_expires_at"`
		Refreshes int64        `db:"refreshes"`
		Failure   string       `db:"failure"`
		Connected time.Time    `db:"connected_at"`
	}
	err := tx.GetContext(ctx, &row, `SELECT provider, account, token_sealed, access_expires_at, refreshes, failure, connected_at
	   FROM email_oauth_grants WHERE channel_id = $1`+lock, channelID)
	if err != nil {
		return OAuthGrant{}, notFound(err, "read oauth grant")
	}
	token, err := s.openWith(grantAAD(channelID), row.Sealed)
	if err != nil {
		return OAuthGrant{}, err
	}
	return OAuthGrant{ChannelID: channelID, Provider: row.Provider, Account: row.Account, Token: token,
		AccessExpiresAt: row.Expires.Time, Refreshes: row.Refreshes, Failure: row.Failure, ConnectedAt: row.Connected}, nil
}

// grantAAD binds a sealed grant to its channel.
func grantAAD(channelID string) []byte { return []byte("email_oauth_grant:" + channelID) }

// sealWith seals plain with the channel secrets' key, bound to aad.
func (s *Store) sealWith(aad, plain []byte) ([]byte, error) {
	if s.box == nil {
		return nil, fmt.Errorf("seal: no secret key configured")
	}
	sealed, err := s.box.Seal(plain, aad)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return sealed, nil
}

// openWith opens what sealWith sealed with aad.
func (s *Store) openWith(aad, sealed []byte) ([]byte, error) {
	if s.box == nil {
		return nil, fmt.Errorf("unseal: no secret key configured")
	}
	plain, err := s.box.Open(sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("unseal: %w", err)
	}
	return plain, nil
}
