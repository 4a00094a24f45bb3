package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// lockClaim serialises, for one transaction, every claim, proof and connect
// of one inbound identity (a channel type's external key).
func lockClaim(ctx context.Context, tx *sqlx.Tx, typ, key string) error {
	if key == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('claim:' || $1 || ':' || $2))`, typ, key); err != nil {
		return fmt.Errorf("lock claim: %w", err)
	}
	return nil
}

// checkPendingClaim refuses a pending_verification claim on an identity a connected
// channel owns: it could never be proven. (A connected claim is refused by the
// channels_owner index; pending claims do not block each other, the first proof wins.)
func checkPendingClaim(ctx context.Context, tx *sqlx.Tx, row channelRow, key string) error {
	if key == "" || row.Status != domain.ChannelPendingVerification {
		return nil
	}
	var owner string
	err := tx.GetContext(ctx, &owner, `SELECT id FROM channels
		WHERE type = $1 AND external_key = $2 AND status = 'connected' AND id <> $3 LIMIT 1`, row.Type, key, row.ID)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check the owner of %s: %w", key, err)
	}
	return &domain.ClaimConflict{Value: key}
}

// releaseRivalClaims disconnects the other pending claims on an identity a channel
// has just proven, saying why; their owners see status_reason claimed_by_another_channel.
func releaseRivalClaims(ctx context.Context, tx *sqlx.Tx, winner string) error {
	_, err := tx.ExecContext(ctx, `UPDATE channels c SET status = 'disconnected', disconnected_at = now(), updated_at = now(),
	        status_reason = 'claimed_by_another_channel'
	   FROM channels w
	  WHERE w.id = $1 AND c.type = w.type AND c.external_key = w.external_key AND c.id <> w.id
	    AND c.status = 'pending_verification'`, winner)
	if err != nil {
		return fmt.Errorf("release the rival claims: %w", err)
	}
	return nil
}

// Proof modes of ChannelWrite.Proof.
const (
	// ProofRequired: a new or changed identity is pending_verification until proven.
	ProofRequired = "required"
	// ProofAuto: a new or changed identity counts as proven at once (verification off).
	ProofAuto = "auto"
)

// externalKeyConflict maps a violation of the one-owner index to a *domain.ClaimConflict
// (its Field is filled by the caller, who knows the channel type's config field).
func externalKeyConflict(err error, key string) error {
	if isUniqueViolation(err, "channels_owner") {
		return &domain.ClaimConflict{Value: key}
	}
	return nil
}

// statusSQL sets a channel's status, disconnected_at, status_reason, verified_at and verified_by from the
// requested status (req, "" keeps it), the new external key (key) and the proof mode (proof): an identity
// that must be proven and is not (new, or changed since it was) makes a connecting channel pending_verification.
func statusSQL(req, key, proof string) string {
	verified := `CASE WHEN $p = '' THEN verified_at
	                  WHEN verified_at IS NOT NULL AND external_key IS NOT DISTINCT FROM $k THEN verified_at
	                  WHEN $p = 'auto' THEN now() END`
	target := `CASE WHEN COALESCE(NULLIF($r, ''), status) = 'disconnected' THEN 'disconnected'
	                WHEN $p = 'required' AND (` + verified + `) IS NULL THEN 'pending_verification'
	                ELSE 'connected' END`
	return strings.NewReplacer("$r", req, "$k", key, "$p", proof).Replace(
		`disconnected_at = CASE WHEN (` + target + `) = 'disconnected' THEN COALESCE(disconnected_at, now()) END,
		 status_reason = CASE WHEN (` + target + `) = 'disconnected' AND status = 'disconnected' THEN status_reason ELSE '' END,
		 verified_by = CASE WHEN (` + verified + `) IS NULL THEN ''
		                    WHEN verified_at IS NOT NULL AND external_key IS NOT DISTINCT FROM $k THEN verified_by
		                    ELSE 'auto' END,
		 verified_at = ` + verified + `,
		 status = ` + target)
}

// checkNotUserEmail fails when an email channel's address is a user's own email.
func checkNotUserEmail(ctx context.Context, tx *sqlx.Tx, accountID string, w ChannelWrite) error {
	if w.Type != "email" || w.ExternalKey == "" {
		return nil
	}
	if err := lockAddresses(ctx, tx, accountID); err != nil {
		return err
	}
	var userID string
	err := tx.GetContext(ctx, &userID, `SELECT id FROM users WHERE account_id = $1 AND routedesk_mailbox(email) = $2 LIMIT 1`, accountID, w.ExternalKey)
	if err == nil {
		return fmt.Errorf("%s is the own email of user %s; a team address must not be a person's address: %w", w.ExternalKey, userID, domain.ErrConflict)
	}
	if isNoRows(err) {
		return nil
	}
	return fmt.Errorf("check user emails: %w", err)
}
