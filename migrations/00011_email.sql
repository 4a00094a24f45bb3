-- +goose Up
-- What team email keeps beside a message: how it was classified, who forwarded
-- it, its quoted history and the envelope it came with.
CREATE TABLE email_messages (
    message_id       text PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    channel_id       text NOT NULL REFERENCES channels (id),
    kind             text NOT NULL,
    source           text NOT NULL,
    forwarder_email  text NOT NULL DEFAULT '',
    forwarder_name   text NOT NULL DEFAULT '',
    quoted_text      text NOT NULL DEFAULT '',
    mail_from        text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- An inbound mail's attachments (inline images included), numbered from 0 in
-- the mail's order; served by GET /v1/messages/{id}/attachments/{n}.
CREATE TABLE message_attachments (
    message_id    text NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    n             integer NOT NULL CHECK (n >= 0),
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name          text NOT NULL DEFAULT '',
    content_type  text NOT NULL DEFAULT 'application/octet-stream',
    size          integer NOT NULL,
    sha256        text NOT NULL,
    inline        boolean NOT NULL DEFAULT false,
    content_id    text NOT NULL DEFAULT '',
    content       bytea NOT NULL,
    PRIMARY KEY (message_id, n)
);

-- How far an IMAP mailbox was imported (UIDVALIDITY + last UID), and which
-- server process holds the lease to poll it.
CREATE TABLE email_imap_state (
    channel_id    text PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    uid_validity  bigint NOT NULL DEFAULT 0,
    last_uid      bigint NOT NULL DEFAULT 0,
    last_seen     timestamptz,
    lease_owner   text NOT NULL DEFAULT '',
    lease_until   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE email_imap_state;
DROP TABLE message_attachments;
DROP TABLE email_messages;
