-- +goose Up
-- IMAP backfill (issue 15): an import may read the channel's own mailbox
-- (format imap), one at a time per channel.
ALTER TABLE imports DROP CONSTRAINT imports_format_check;
ALTER TABLE imports ADD CONSTRAINT imports_format_check CHECK (format IN ('ndjson', 'mbox', 'imap'));
CREATE UNIQUE INDEX imports_one_mailbox_backfill ON imports (channel_id)
    WHERE format = 'imap' AND state IN ('uploading', 'running');

-- The seam between a mailbox's history and its live mail: the highest UID
-- present (under that UIDVALIDITY) when the mailbox was first seen. Live
-- polling takes the UIDs above it, a history backfill those at or below it.
ALTER TABLE email_imap_state
    ADD COLUMN seam_uid_validity bigint NOT NULL DEFAULT 0,
    ADD COLUMN seam_uid          bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE email_imap_state DROP COLUMN seam_uid, DROP COLUMN seam_uid_validity;
DROP INDEX imports_one_mailbox_backfill;
DELETE FROM imports WHERE format = 'imap';
ALTER TABLE imports DROP CONSTRAINT imports_format_check;
ALTER TABLE imports ADD CONSTRAINT imports_format_check CHECK (format IN ('ndjson', 'mbox'));
