-- +goose Up
-- Per-message redelivery: each undelivered inbound message has its own
-- attempts, backoff (or claim lease) and, once given up, a failure reason.
ALTER TABLE messages
    ADD COLUMN delivery_attempts  integer NOT NULL DEFAULT 0,
    ADD COLUMN delivery_next_at   timestamptz,
    ADD COLUMN delivery_error     text NOT NULL DEFAULT '',
    ADD COLUMN delivery_failed_at timestamptz;
DROP INDEX messages_undelivered;
CREATE INDEX messages_undelivered ON messages (received_at, id)
    WHERE delivered_at IS NULL AND direction = 'inbound' AND delivery_failed_at IS NULL;
CREATE INDEX messages_delivery_failed ON messages (account_id, delivery_failed_at, id)
    WHERE delivery_failed_at IS NOT NULL AND delivered_at IS NULL;

-- +goose Down
DROP INDEX messages_delivery_failed;
DROP INDEX messages_undelivered;
CREATE INDEX messages_undelivered ON messages (received_at) WHERE delivered_at IS NULL AND direction = 'inbound';
ALTER TABLE messages
    DROP COLUMN delivery_attempts,
    DROP COLUMN delivery_next_at,
    DROP COLUMN delivery_error,
    DROP COLUMN delivery_failed_at;
