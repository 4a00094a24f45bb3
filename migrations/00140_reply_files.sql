-- +goose Up
-- Files an agent uploaded with a reply, kept until the reply's message is stored
-- and they become its message_attachments (the workflow carries only their ids).
-- Unclaimed uploads (a reply refused or abandoned) are deleted after a day.
CREATE TABLE reply_uploads (
    id            text PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name          text NOT NULL,
    content_type  text NOT NULL,
    size          integer NOT NULL,
    sha256        text NOT NULL,
    content       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reply_uploads_created_at ON reply_uploads (created_at);

-- The parts of a reply a channel sent one call each (Messenger and WhatsApp send
-- the text and every file apart), so a retried delivery sends none of them twice.
CREATE TABLE outbound_parts (
    message_id   text NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    part         text NOT NULL,
    provider_id  text NOT NULL DEFAULT '',
    sent_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, part)
);

-- +goose Down
DROP TABLE outbound_parts;
DROP TABLE reply_uploads;
