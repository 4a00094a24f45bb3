package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Call is a phone call as its provider reports it.
type Call struct {
	ID              string    `db:"id" json:"id"`
	AccountID       string    `db:"account_id" json:"-"`
	ChannelID       string    `db:"channel_id" json:"channel_id"`
	CallID          string    `db:"call_id" json:"call_id"`
	FromNumber      string    `db:"from_number" json:"from_number"`
	ToNumber        string    `db:"to_number" json:"to_number"`
	Direction       string    `db:"direction" json:"direction"`
	Status          string    `db:"status" json:"status"`
	StatusRank      int       `db:"status_rank" json:"-"`
	StartedAt       time.Time `db:"started_at" json:"started_at"`
	DurationSeconds int       `db:"duration_seconds" json:"duration_seconds"`
	RecordingURL    string    `db:"recording_url" json:"recording_url,omitempty"`
	Transcript      string    `db:"transcript" json:"transcript,omitempty"`
}

// RecordCall stores a new call or moves a stored one forward: an update whose status rank is not
// above the stored one changes nothing and reports moved false (an out-of-order report).
func (s *Store) RecordCall(ctx context.Context, c Call) (stored Call, moved bool, err error) {
	err = s.db.GetContext(ctx, &stored,
		`INSERT INTO calls (id, account_id, channel_id, call_id, from_number, to_number, direction, status, status_rank,
		                    started_at, duration_seconds, recording_url, transcript)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		 ON CONFLICT (channel_id, call_id) DO UPDATE SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank,
		    duration_seconds = GREATEST(calls.duration_seconds, EXCLUDED.duration_seconds),
		    recording_url = COALESCE(NULLIF(EXCLUDED.recording_url, ''), calls.recording_url),
		    transcript = COALESCE(NULLIF(EXCLUDED.transcript, ''), calls.transcript), updated_at = now()
		  WHERE calls.status_rank < EXCLUDED.status_rank
		 RETURNING id, account_id, channel_id, call_id, from_number, to_number, direction, status, status_rank,
		           started_at, duration_seconds, recording_url, transcript`,
		NewID("call"), c.AccountID, c.ChannelID, c.CallID, c.FromNumber, c.ToNumber, c.Direction, c.Status, c.StatusRank,
		c.StartedAt, c.DurationSeconds, c.RecordingURL, c.Transcript)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.db.GetContext(ctx, &stored, `SELECT id, account_id, channel_id, call_id, from_number, to_number, direction, status,
			status_rank, started_at, duration_seconds, recording_url, transcript FROM calls WHERE channel_id = $1 AND call_id = $2`,
			c.ChannelID, c.CallID)
		if err != nil {
			return stored, false, fmt.Errorf("read call: %w", err)
		}
		return stored, false, nil
	}
	if err != nil {
		return stored, false, fmt.Errorf("record call: %w", err)
	}
	return stored, true, nil
}

// SetCallMessage links a call to the message that shows it on its conversation.
func (s *Store) SetCallMessage(ctx context.Context, callRowID, messageID string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE calls SET message_id = $2 WHERE id = $1`, callRowID, messageID); err != nil {
		return fmt.Errorf("link call message: %w", err)
	}
	return nil
}

// ThreadHasOpenTicket reports whether the channel's conversation of threadKey has a ticket that is not closed.
func (s *Store) ThreadHasOpenTicket(ctx context.Context, channelID, threadKey string) (bool, error) {
	var open bool
	err := s.db.GetContext(ctx, &open, `SELECT EXISTS (SELECT 1 FROM tickets t JOIN conversations c ON c.id = t.conversation_id
		WHERE c.channel_id = $1 AND c.thread_hash = $2 AND t.status <> 'closed')`, channelID, keyHash(threadKey))
	if err != nil {
		return false, fmt.Errorf("find open ticket: %w", err)
	}
	return open, nil
}
