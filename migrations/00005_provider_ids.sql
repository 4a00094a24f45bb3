-- +goose Up
-- The id a channel's provider gave an outbound message (Graph's message_id / wamid),
-- so delivery status webhooks can find it.
ALTER TABLE messages ADD COLUMN provider_message_id text;
CREATE INDEX messages_provider_id ON messages (channel_id, provider_message_id) WHERE provider_message_id IS NOT NULL;

-- +goose Down
DROP INDEX messages_provider_id;
ALTER TABLE messages DROP COLUMN provider_message_id;
