-- +goose Up
-- A channel key lets a website form, a calling provider or a custom app post
-- to one channel's inbound routes without holding an account token. Only the
-- SHA-256 of the key is kept; revoking a key deletes its row.
CREATE TABLE channel_keys (
    id          text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id  text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    key_hash    bytea NOT NULL UNIQUE,
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channel_keys_channel ON channel_keys (channel_id, id);

-- +goose Down
DROP TABLE channel_keys;
