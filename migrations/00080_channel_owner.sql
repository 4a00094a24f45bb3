-- +goose Up
-- One owner per inbound identity. A channel's external_key (an email mailbox,
-- a Messenger page id, a WhatsApp phone number id, a calling number) is claimed
-- by at most one channel that is not disconnected, across all accounts. Email
-- keys become the mailbox an address reaches (routedesk_mailbox, as Go's
-- mailaddr.Mailbox), and a new email address is pending_verification until
-- proven.

-- +goose StatementBegin
CREATE FUNCTION routedesk_mailbox(address text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    WITH a AS (SELECT translate(address, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') AS v),
    p AS (SELECT v, substring(v FROM '^(.*)@[^@]*$') AS local, substring(v FROM '@([^@]*)$') AS dom FROM a),
    t AS (SELECT v, dom, CASE WHEN position('+' IN local) > 1 THEN substr(local, 1, position('+' IN local) - 1) ELSE local END AS local FROM p)
    SELECT CASE
        WHEN local IS NULL THEN v
        WHEN dom IN ('gmail.com', 'googlemail.com') THEN replace(local, '.', '') || '@gmail.com'
        ELSE local || '@' || dom
    END FROM t
$$;
-- +goose StatementEnd

ALTER TABLE channels DROP CONSTRAINT channels_status;
ALTER TABLE channels ADD CONSTRAINT channels_status CHECK (status IN ('connected', 'disconnected', 'pending_verification'));
-- verified_at/verified_by: when and how an email channel's address was proven
-- (code, link, migration, auto); status_reason: why a channel is not connected.
ALTER TABLE channels ADD COLUMN verified_at timestamptz,
    ADD COLUMN verified_by text NOT NULL DEFAULT '',
    ADD COLUMN status_reason text NOT NULL DEFAULT '';

UPDATE channels SET external_key = routedesk_mailbox(config->>'address')
 WHERE type = 'email' AND config->>'address' IS NOT NULL;
-- Email channels connected before verification existed keep receiving mail.
UPDATE channels SET verified_at = created_at, verified_by = 'migration' WHERE type = 'email';

-- Existing double claims: the oldest connected channel keeps the identity, the
-- others are disconnected with a reason (their history stays; reconnecting is a 409).
UPDATE channels c SET status = 'disconnected', disconnected_at = now(), updated_at = now(),
       status_reason = 'claimed_by_another_channel'
  FROM (SELECT id, row_number() OVER (PARTITION BY type, external_key ORDER BY created_at, id) AS n
          FROM channels WHERE external_key IS NOT NULL AND status <> 'disconnected') ranked
 WHERE c.id = ranked.id AND ranked.n > 1;

DROP INDEX channels_global_key;
DROP INDEX channels_account_key;
CREATE UNIQUE INDEX channels_owner ON channels (type, external_key)
    WHERE external_key IS NOT NULL AND status <> 'disconnected';

-- The pending proof of an email channel's address: only the SHA-256 of the
-- code is kept; a code is single-use, expires, and allows a few wrong tries.
CREATE TABLE channel_verifications (
    channel_id    text PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    code_hash     bytea,
    expires_at    timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    sends         integer NOT NULL DEFAULT 0,
    window_start  timestamptz NOT NULL DEFAULT now(),
    last_sent_at  timestamptz,
    last_error    text NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE channel_verifications;
DROP INDEX channels_owner;
UPDATE channels SET status = 'disconnected', disconnected_at = now() WHERE status = 'pending_verification';
UPDATE channels SET external_key = lower(config->>'address') WHERE type = 'email' AND config->>'address' IS NOT NULL;
CREATE UNIQUE INDEX channels_account_key ON channels (account_id, type, external_key)
    WHERE external_key IS NOT NULL AND status = 'connected';
CREATE UNIQUE INDEX channels_global_key ON channels (type, external_key)
    WHERE type IN ('messenger', 'whatsapp') AND external_key IS NOT NULL AND status = 'connected';
ALTER TABLE channels DROP COLUMN status_reason, DROP COLUMN verified_by, DROP COLUMN verified_at;
ALTER TABLE channels DROP CONSTRAINT channels_status;
ALTER TABLE channels ADD CONSTRAINT channels_status CHECK (status IN ('connected', 'disconnected'));
DROP FUNCTION routedesk_mailbox(text);
