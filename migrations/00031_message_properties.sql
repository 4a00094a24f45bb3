-- +goose Up
-- What a channel knows about an inbound message beyond its text (a chat message
-- sent outside business hours, an email a visitor typed but did not prove); the
-- first message's properties become its ticket's, under the channel defaults' keys.
ALTER TABLE messages ADD COLUMN properties jsonb NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE messages DROP COLUMN properties;
