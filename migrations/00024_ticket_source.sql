-- +goose Up
-- Where a ticket came from: a channel's conversation, or POST /v1/tickets (api, import, integration).
ALTER TABLE tickets ADD COLUMN source text NOT NULL DEFAULT 'channel'
    CHECK (source IN ('channel', 'api', 'import', 'integration'));

-- +goose Down
ALTER TABLE tickets DROP COLUMN source;
