-- +goose Up
-- A phone call as the calling provider reports it; the same call_id again
-- updates it, its status only moving forward (status_rank). A call that ends
-- (missed, voicemail, completed) is also a message on the caller's conversation.
CREATE TABLE calls (
    id                text PRIMARY KEY,
    account_id        text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id        text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    call_id           text NOT NULL,
    from_number       text NOT NULL,
    to_number         text NOT NULL,
    direction         text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    status            text NOT NULL,
    status_rank       integer NOT NULL,
    started_at        timestamptz NOT NULL,
    duration_seconds  integer NOT NULL DEFAULT 0,
    recording_url     text NOT NULL DEFAULT '',
    transcript        text NOT NULL DEFAULT '',
    message_id        text REFERENCES messages (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, call_id)
);
CREATE INDEX calls_message ON calls (message_id) WHERE message_id IS NOT NULL;

-- +goose Down
DROP TABLE calls;
