-- +goose Up
-- Inbound traffic a channel received and made no ticket of (an auto-reply to no
-- thread, a bounce, mail from the channel's own address), with the reason, so
-- nothing is dropped without a trace; conversation_id is the thread it belongs to, when known.
CREATE TABLE ignored_inbound (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id       text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    reason           text NOT NULL,
    detail           text NOT NULL DEFAULT '',
    external_id      text NOT NULL DEFAULT '',
    author           jsonb NOT NULL DEFAULT '{}',
    subject          text NOT NULL DEFAULT '',
    source           text NOT NULL DEFAULT '',
    conversation_id  text REFERENCES conversations (id) ON DELETE SET NULL,
    received_at      timestamptz NOT NULL DEFAULT now()
);
-- A redelivered mail (same Message-ID) is recorded once.
CREATE UNIQUE INDEX ignored_inbound_once ON ignored_inbound (channel_id, external_id) WHERE external_id <> '';
CREATE INDEX ignored_inbound_channel ON ignored_inbound (channel_id, id DESC);

-- An attachment over the size limit is listed, without its bytes, as omitted.
ALTER TABLE message_attachments ADD COLUMN omitted boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE message_attachments DROP COLUMN omitted;
DROP TABLE ignored_inbound;
