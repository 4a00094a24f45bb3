-- +goose Up
-- A thread key can be longer than a btree index row may be (2704 bytes: a
-- 1,000-character id of 4-byte characters is 4,000), so conversations are
-- unique per channel on the SHA-256 of the key's UTF-8 instead of the key.
ALTER TABLE conversations ADD COLUMN thread_hash bytea;
UPDATE conversations SET thread_hash = sha256(convert_to(thread_key, 'UTF8'));
ALTER TABLE conversations ALTER COLUMN thread_hash SET NOT NULL;
ALTER TABLE conversations DROP CONSTRAINT conversations_channel_id_thread_key_key;
CREATE UNIQUE INDEX conversations_channel_thread_hash ON conversations (channel_id, thread_hash);

-- +goose Down
DROP INDEX conversations_channel_thread_hash;
ALTER TABLE conversations ADD CONSTRAINT conversations_channel_id_thread_key_key UNIQUE (channel_id, thread_key);
ALTER TABLE conversations DROP COLUMN thread_hash;
