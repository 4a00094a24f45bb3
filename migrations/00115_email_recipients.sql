-- +goose Up
-- Who an inbound mail was from and for (From, Reply-To, To, Cc), so an answer goes
-- to Reply-To and keeps the thread's Cc; who an answer went to (To, Cc, Bcc); and
-- whether a mail asked for no automatic answers (Precedence: list, X-Auto-Response-Suppress).
ALTER TABLE email_messages
    ADD COLUMN header_from  jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN reply_to     jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN to_addrs     jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN cc_addrs     jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN bcc_addrs    jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN no_auto_reply text NOT NULL DEFAULT '';

-- The recipients an agent chose for one reply (the reply API's to/cc/bcc), keyed
-- by the reply's external id ("reply:<update id>"), read by the email channel when it sends.
CREATE TABLE email_reply_recipients (
    channel_id   text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    external_id  text NOT NULL,
    account_id   text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    to_addrs     jsonb NOT NULL DEFAULT '[]',
    cc_addrs     jsonb NOT NULL DEFAULT '[]',
    bcc_addrs    jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, external_id)
);

-- +goose Down
DROP TABLE email_reply_recipients;
ALTER TABLE email_messages DROP COLUMN header_from, DROP COLUMN reply_to, DROP COLUMN to_addrs,
    DROP COLUMN cc_addrs, DROP COLUMN bcc_addrs, DROP COLUMN no_auto_reply;
