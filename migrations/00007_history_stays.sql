-- +goose Up
-- Channels come and go, history stays. Removing a channel row no longer takes its
-- conversations, tickets and messages with it: those foreign keys become NO ACTION
-- (checked at the end of the statement, so deleting a whole account still works).
-- The API disconnects a channel that has history and removes only one that has none.
ALTER TABLE conversations DROP CONSTRAINT conversations_channel_id_fkey,
    ADD CONSTRAINT conversations_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES channels (id);
ALTER TABLE tickets DROP CONSTRAINT tickets_channel_id_fkey,
    ADD CONSTRAINT tickets_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES channels (id);
ALTER TABLE tickets DROP CONSTRAINT tickets_conversation_id_fkey,
    ADD CONSTRAINT tickets_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations (id);
ALTER TABLE messages DROP CONSTRAINT messages_channel_id_fkey,
    ADD CONSTRAINT messages_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES channels (id);
ALTER TABLE messages DROP CONSTRAINT messages_conversation_id_fkey,
    ADD CONSTRAINT messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations (id);

ALTER TABLE channels ADD CONSTRAINT channels_status CHECK (status IN ('connected', 'disconnected'));
ALTER TABLE channels ADD COLUMN disconnected_at timestamptz;

-- A disconnected channel lets go of its page, number or address: another channel
-- (of any account for pages and numbers) may connect it; reconnecting then is a 409.
DROP INDEX channels_global_key;
CREATE UNIQUE INDEX channels_global_key ON channels (type, external_key)
    WHERE type IN ('messenger', 'whatsapp') AND external_key IS NOT NULL AND status = 'connected';
DROP INDEX channels_account_key;
CREATE UNIQUE INDEX channels_account_key ON channels (account_id, type, external_key)
    WHERE external_key IS NOT NULL AND status = 'connected';
CREATE INDEX channels_external_key ON channels (type, external_key) WHERE external_key IS NOT NULL;

-- +goose Down
DROP INDEX channels_external_key;
DROP INDEX channels_account_key;
CREATE UNIQUE INDEX channels_account_key ON channels (account_id, type, external_key)
    WHERE external_key IS NOT NULL;
DROP INDEX channels_global_key;
CREATE UNIQUE INDEX channels_global_key ON channels (type, external_key)
    WHERE type IN ('messenger', 'whatsapp') AND external_key IS NOT NULL;
ALTER TABLE channels DROP COLUMN disconnected_at;
ALTER TABLE channels DROP CONSTRAINT channels_status;
ALTER TABLE messages DROP CONSTRAINT messages_conversation_id_fkey,
    ADD CONSTRAINT messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE;
ALTER TABLE messages DROP CONSTRAINT messages_channel_id_fkey,
    ADD CONSTRAINT messages_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE;
ALTER TABLE tickets DROP CONSTRAINT tickets_conversation_id_fkey,
    ADD CONSTRAINT tickets_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE;
ALTER TABLE tickets DROP CONSTRAINT tickets_channel_id_fkey,
    ADD CONSTRAINT tickets_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE;
ALTER TABLE conversations DROP CONSTRAINT conversations_channel_id_fkey,
    ADD CONSTRAINT conversations_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE;
