-- +goose Up
-- Delivery attempts that found Temporal busy (a signal-with-start timed out or
-- was rate limited) are retried soon and not counted as attempts; this counts
-- them, so they too are bounded (server.maxBusyRetries).
ALTER TABLE messages ADD COLUMN delivery_busy_retries integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE messages DROP COLUMN delivery_busy_retries;
