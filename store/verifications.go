package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// VerificationLimits bound the proof codes of one channel.
type VerificationLimits struct {
	// TTL is how long a code is valid.
	TTL time.Duration
	// MinInterval is the least time between two codes sent.
	MinInterval time.Duration
	// MaxSends is the most codes sent per Window.
	MaxSends int
	// Window is the period MaxSends counts over.
	Window time.Duration
	// MaxAttempts is how many wrong codes burn the current code.
	MaxAttempts int
}

// Verification is the state of a channel's pending proof, as the API shows it.
type Verification struct {
	ChannelID string `db:"channel_id" json:"channel_id"`
	// Status is the channel's status.
	Status string `db:"status" json:"status"`
	// ExpiresAt is when the current code stops working; null when there is none (used, burnt or never sent).
	ExpiresAt *time.Time `db:"expires_at" json:"expires_at"`
	// LastSentAt is when the last code was sent (or tried to be).
	LastSentAt *time.Time `db:"last_sent_at" json:"last_sent_at"`
	// LastError is why the last code could not be sent; "" when it was.
	LastError string `db:"last_error" json:"last_error,omitempty"`
	// AttemptsLeft is how many wrong codes the current code still allows.
	AttemptsLeft int  `db:"-" json:"attempts_left"`
	Attempts     int  `db:"attempts" json:"-"`
	HasCode      bool `db:"has_code" json:"-"`
}

// IssueVerification stores the hash of a new code for a pending_verification channel of the
// account, replacing an earlier one. Sending too soon or too often is a *domain.RateLimited;
// a channel that is not pending is a conflict.
func (s *Store) IssueVerification(ctx context.Context, accountID, channelID, code string, lim VerificationLimits) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var status string
		err := tx.GetContext(ctx, &status, `SELECT status FROM channels WHERE id = $1 AND account_id = $2 FOR UPDATE`, channelID, accountID)
		if isNoRows(err) {
			return domain.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock channel: %w", err)
		}
		if status != domain.ChannelPendingVerification {
			return fmt.Errorf("channel %s is %s, not pending_verification: no code to send: %w", channelID, status, domain.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO channel_verifications (channel_id) VALUES ($1) ON CONFLICT DO NOTHING`, channelID); err != nil {
			return fmt.Errorf("start verification: %w", err)
		}
		var v struct {
			Sends       int          `db:"sends"`
			WindowStart time.Time    `db:"window_start"`
			LastSentAt  sql.NullTime `db:"last_sent_at"`
			Now         time.Time    `db:"now"`
		}
		if err := tx.GetContext(ctx, &v, `SELECT sends, window_start, last_sent_at, now() AS now FROM channel_verifications WHERE channel_id = $1`, channelID); err != nil {
			return fmt.Errorf("read verification: %w", err)
		}
		if v.Now.Sub(v.WindowStart) >= lim.Window {
			v.Sends, v.WindowStart = 0, v.Now
		}
		if v.LastSentAt.Valid && v.Now.Sub(v.LastSentAt.Time) < lim.MinInterval {
			wait := lim.MinInterval - v.Now.Sub(v.LastSentAt.Time)
			return &domain.RateLimited{RetryAfter: wait, Message: fmt.Sprintf("a code was sent less than %s ago; try again in %s", lim.MinInterval, wait.Round(time.Second))}
		}
		if v.Sends >= lim.MaxSends {
			wait := lim.Window - v.Now.Sub(v.WindowStart)
			return &domain.RateLimited{RetryAfter: wait, Message: fmt.Sprintf("%d codes were sent within %s; try again in %s", lim.MaxSends, lim.Window, wait.Round(time.Minute))}
		}
		_, err = tx.ExecContext(ctx, `UPDATE channel_verifications SET code_hash = $2, expires_at = now() + $3 * interval '1 millisecond',
		        attempts = 0, sends = $4, window_start = $5, last_sent_at = now(), last_error = '' WHERE channel_id = $1`,
			channelID, hashToken(code), lim.TTL.Milliseconds(), v.Sends+1, v.WindowStart)
		if err != nil {
			return fmt.Errorf("store verification code: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("issue verification code: %w", err)
	}
	return nil
}

// RecordVerificationSend notes why a code could not be sent ("" when it was).
func (s *Store) RecordVerificationSend(ctx context.Context, channelID, failure string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE channel_verifications SET last_error = $2 WHERE channel_id = $1`, channelID, failure); err != nil {
		return fmt.Errorf("record verification send: %w", err)
	}
	return nil
}

// ChannelVerification returns the proof state of a channel of the account.
func (s *Store) ChannelVerification(ctx context.Context, accountID, channelID string, maxAttempts int) (Verification, error) {
	var v Verification
	err := s.db.GetContext(ctx, &v, `SELECT c.id AS channel_id, c.status, v.last_sent_at, COALESCE(v.last_error, '') AS last_error,
	        COALESCE(v.attempts, 0) AS attempts, v.code_hash IS NOT NULL AND v.expires_at > now() AS has_code,
	        CASE WHEN v.code_hash IS NOT NULL AND v.expires_at > now() THEN v.expires_at END AS expires_at
	   FROM channels c LEFT JOIN channel_verifications v ON v.channel_id = c.id
	  WHERE c.id = $1 AND c.account_id = $2`, channelID, accountID)
	if err != nil {
		return v, notFound(err, "get channel verification")
	}
	if v.HasCode {
		v.AttemptsLeft = max(maxAttempts-v.Attempts, 0)
	}
	return v, nil
}

// ProveChannel checks a code for a channel (of the account; any account when accountID is
// "", for the mailed link): the right, unexpired code connects a pending_verification channel
// and is used up; a wrong one counts against maxAttempts and, at the limit, burns the code.
// A channel already proven is returned as it is. method is recorded as verified_by.
func (s *Store) ProveChannel(ctx context.Context, accountID, channelID, code, method string, maxAttempts int) (domain.Channel, error) {
	var row channelRow
	var wrong error // a wrong code: its count is committed, then it is the answer
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		wrong = nil
		err := tx.GetContext(ctx, &row, `SELECT `+channelColumns+` FROM channels WHERE id = $1 AND ($2 = '' OR account_id = $2) FOR UPDATE`,
			channelID, accountID)
		if isNoRows(err) {
			return domain.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock channel: %w", err)
		}
		if row.Status != domain.ChannelPendingVerification {
			if row.VerifiedAt.Valid {
				return nil
			}
			return fmt.Errorf("channel %s is %s; only a pending_verification channel takes a code: %w", channelID, row.Status, domain.ErrConflict)
		}
		var v struct {
			Hash     []byte `db:"code_hash"`
			Live     bool   `db:"live"`
			Attempts int    `db:"attempts"`
		}
		err = tx.GetContext(ctx, &v, `SELECT code_hash, code_hash IS NOT NULL AND expires_at > now() AS live, attempts
		   FROM channel_verifications WHERE channel_id = $1 FOR UPDATE`, channelID)
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("read verification: %w", err)
		}
		if !v.Live {
			return domain.Invalid("code", "no code is valid for this channel now (expired, used or too many wrong tries); send a new one with POST /v1/channels/"+channelID+"/verification")
		}
		if subtle.ConstantTimeCompare(v.Hash, hashToken(code)) != 1 {
			left := maxAttempts - v.Attempts - 1
			if _, err := tx.ExecContext(ctx, `UPDATE channel_verifications SET attempts = attempts + 1,
			        code_hash = CASE WHEN attempts + 1 >= $2 THEN NULL ELSE code_hash END WHERE channel_id = $1`, channelID, maxAttempts); err != nil {
				return fmt.Errorf("count a wrong code: %w", err)
			}
			wrong = domain.Invalid("code", fmt.Sprintf("wrong code; %d tries left", left))
			if left <= 0 {
				wrong = domain.Invalid("code", "wrong code; it was the last try, so the code is void: send a new one with POST /v1/channels/"+channelID+"/verification")
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE channel_verifications SET code_hash = NULL, expires_at = NULL, attempts = 0, last_error = '' WHERE channel_id = $1`, channelID); err != nil {
			return fmt.Errorf("use up the code: %w", err)
		}
		var key string
		if err := tx.GetContext(ctx, &key, `SELECT COALESCE(external_key, '') FROM channels WHERE id = $1`, channelID); err != nil {
			return fmt.Errorf("read the claimed identity: %w", err)
		}
		if err := lockClaim(ctx, tx, row.Type, key); err != nil {
			return err
		}
		err = tx.GetContext(ctx, &row, `UPDATE channels SET status = 'connected', verified_at = now(), verified_by = $2, updated_at = now()
		  WHERE id = $1 RETURNING `+channelColumns, channelID, method)
		if c := externalKeyConflict(err, key); c != nil {
			return c // another channel proved the identity first
		}
		if err != nil {
			return fmt.Errorf("connect the proven channel: %w", err)
		}
		return releaseRivalClaims(ctx, tx, channelID)
	})
	if err == nil && wrong != nil {
		return domain.Channel{}, wrong
	}
	if err != nil {
		return domain.Channel{}, fmt.Errorf("prove channel: %w", err)
	}
	return row.channel()
}
