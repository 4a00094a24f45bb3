-- +goose Up
-- Live chat: the key each chat channel signs its visitor tokens with, and the
-- visitors (one conversation each) who opened a session on a widget.
CREATE TABLE chat_keys (
    channel_id  text PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    key         bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE chat_visitors (
    id                text PRIMARY KEY,
    account_id        text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id        text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    -- set only when the site proved it with user_hash; links the visitor to that email's contact
    verified_email    text,
    name              text NOT NULL DEFAULT '',
    -- what a visitor typed, never used to find a contact
    unverified_email  text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    seen_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX chat_visitors_verified_email ON chat_visitors (channel_id, lower(verified_email)) WHERE verified_email IS NOT NULL;

-- +goose Down
DROP TABLE chat_visitors;
DROP TABLE chat_keys;
