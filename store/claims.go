package store

import (
	"context"
	"fmt"

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
