package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// ReplyUpload is a file an agent sent with a reply, before the reply's message is stored.
type ReplyUpload struct {
	Name        string
	ContentType string
	Content     []byte
}

// UploadTTL is how long an upload no stored reply claimed is kept.
const UploadTTL = "1 day"

// ErrUploadsGone means a reply named uploads that no longer exist (claimed by another reply, or expired).
var ErrUploadsGone = errors.New("the reply's uploaded files are gone (kept a day until the reply is stored)")

// SaveReplyUploads stores a reply's files and returns their ids in order; uploads older than
// UploadTTL that no reply claimed are deleted on the way.
func (s *Store) SaveReplyUploads(ctx context.Context, accountID string, files []ReplyUpload) ([]string, error) {
	ids := make([]string, 0, len(files))
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM reply_uploads WHERE created_at < now() - interval '`+UploadTTL+`'`); err != nil {
			return fmt.Errorf("delete expired uploads: %w", err)
		}
		for i, f := range files {
			sum := sha256.Sum256(f.Content)
			id := NewID("upl")
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO reply_uploads (id, account_id, name, content_type, size, sha256, content) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				id, accountID, clipReason(f.Name), f.ContentType, len(f.Content), hex.EncodeToString(sum[:]), nonNilBytes(f.Content)); err != nil {
				return fmt.Errorf("insert upload %d: %w", i, err)
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("save reply uploads: %w", err)
	}
	return ids, nil
}

// ClaimReplyUploads makes the uploads ids the attachments of the account's outbound message, numbered
// in order, and deletes them as uploads. A repeat finds them claimed and changes nothing; uploads that
// are gone before the message holds them all are ErrUploadsGone.
func (s *Store) ClaimReplyUploads(ctx context.Context, accountID, messageID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		for n, id := range ids {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO message_attachments (message_id, n, account_id, name, content_type, size, sha256, content)
				 SELECT $1, $2, account_id, name, content_type, size, sha256, content FROM reply_uploads WHERE id = $3 AND account_id = $4
				 ON CONFLICT DO NOTHING`, messageID, n, id, accountID); err != nil {
				return fmt.Errorf("claim upload %d: %w", n, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM reply_uploads WHERE id = ANY($1) AND account_id = $2`, ids, accountID); err != nil {
			return fmt.Errorf("delete claimed uploads: %w", err)
		}
		var held int
		if err := tx.GetContext(ctx, &held, `SELECT count(*) FROM message_attachments WHERE message_id = $1 AND account_id = $2`,
			messageID, accountID); err != nil {
			return fmt.Errorf("count claimed uploads: %w", err)
		}
		if held < len(ids) {
			return fmt.Errorf("%d of %d files: %w", len(ids)-held, len(ids), ErrUploadsGone)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("claim the uploads of message %s: %w", messageID, err)
	}
	return nil
}

// OutboundAttachments returns every attachment of the account's message with its bytes, in order.
func (s *Store) OutboundAttachments(ctx context.Context, accountID, messageID string) ([]Attachment, error) {
	var out []Attachment
	err := s.db.SelectContext(ctx, &out,
		`SELECT n, name, content_type, size, sha256, inline, content_id, content, omitted
		   FROM message_attachments WHERE message_id = $1 AND account_id = $2 ORDER BY n`, messageID, accountID)
	if err != nil {
		return nil, fmt.Errorf("read the attachments of message %s: %w", messageID, err)
	}
	return out, nil
}

// SentPart returns the provider's id of a part of the message that was sent already; ok is false when it was not.
func (s *Store) SentPart(ctx context.Context, messageID, part string) (providerID string, ok bool, err error) {
	err = s.db.GetContext(ctx, &providerID, `SELECT provider_id FROM outbound_parts WHERE message_id = $1 AND part = $2`, messageID, part)
	if isNoRows(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read sent part %s of message %s: %w", part, messageID, err)
	}
	return providerID, true, nil
}

// RecordSentPart records that a part of the message was sent, with the provider's id of it.
func (s *Store) RecordSentPart(ctx context.Context, messageID, part, providerID string) error {
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO outbound_parts (message_id, part, provider_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		messageID, part, providerID); err != nil {
		return fmt.Errorf("record sent part %s of message %s: %w", part, messageID, err)
	}
	return nil
}
