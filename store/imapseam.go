package store

import (
	"context"
	"database/sql"
	"fmt"
)

// InitIMAPState records the first state of a channel's mailbox (its
// UIDVALIDITY and the highest UID present, st.LastUID) together with the
// history seam (the same UIDVALIDITY and UID), unless a state was recorded
// already; it returns the state in force. The live poller and a history
// backfill both call it when they first see the mailbox, so whichever comes
// first fixes the seam both work from.
func (s *Store) InitIMAPState(ctx context.Context, channelID string, st IMAPState) (IMAPState, error) {
	var seen sql.NullTime
	if !st.LastSeen.IsZero() {
		seen = sql.NullTime{Time: st.LastSeen, Valid: true}
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO email_imap_state (channel_id, uid_validity, last_uid, last_seen, seam_uid_validity, seam_uid)
		 VALUES ($1, $2, $3, $4, $2, $3)
		 ON CONFLICT (channel_id) DO UPDATE SET uid_validity = $2, last_uid = $3, last_seen = $4,
		     seam_uid_validity = $2, seam_uid = $3, updated_at = now()
		  WHERE email_imap_state.uid_validity = 0`,
		channelID, int64(st.UIDValidity), int64(st.LastUID), seen)
	if err != nil {
		return IMAPState{}, fmt.Errorf("init imap state: %w", err)
	}
	return s.LoadIMAPState(ctx, channelID)
}

// SetIMAPSeam records the history seam of a mailbox whose state predates it (or its UIDVALIDITY).
func (s *Store) SetIMAPSeam(ctx context.Context, channelID string, uidValidity, uid uint32) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE email_imap_state SET seam_uid_validity = $2, seam_uid = $3, updated_at = now() WHERE channel_id = $1`,
		channelID, int64(uidValidity), int64(uid))
	if err != nil {
		return fmt.Errorf("record imap seam: %w", err)
	}
	return nil
}

// ActiveMailboxImport reports whether the channel has an IMAP backfill that is running or has completed.
func (s *Store) ActiveMailboxImport(ctx context.Context, channelID string) (bool, error) {
	var n int
	err := s.db.GetContext(ctx, &n,
		`SELECT count(*) FROM imports WHERE channel_id = $1 AND format = 'imap' AND state IN ('uploading', 'running', 'completed')`,
		channelID)
	if err != nil {
		return false, fmt.Errorf("look for a mailbox backfill: %w", err)
	}
	return n > 0, nil
}
