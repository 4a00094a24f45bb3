-- +goose Up
-- Mailboxes connected through their provider's OAuth 2.0 consent (Gmail, Microsoft 365).
-- A flow is one consent in progress: its state (hashed), the PKCE verifier (sealed), the
-- browser that started it (a hashed cookie) and what the callback connects.
CREATE TABLE email_oauth_flows (
    state_hash       bytea PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id       text REFERENCES channels (id) ON DELETE CASCADE,
    name             text NOT NULL DEFAULT '',
    provider         text NOT NULL,
    browser_hash     bytea NOT NULL,
    verifier_sealed  bytea NOT NULL,
    expires_at       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_oauth_flows_expiry ON email_oauth_flows (expires_at);

-- A connected mailbox's grant: the provider's tokens (refresh and access, sealed like
-- channel secrets), the account they belong to, and a refusal that needs a person
-- (revoked consent) until the mailbox is connected again. Servers refresh a grant
-- under its row lock, so one refresh serves them all.
CREATE TABLE email_oauth_grants (
    channel_id         text PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    provider           text NOT NULL,
    account            text NOT NULL,
    token_sealed       bytea NOT NULL,
    access_expires_at  timestamptz,
    refreshes          bigint NOT NULL DEFAULT 0,
    failure            text NOT NULL DEFAULT '',
    connected_at       timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE email_oauth_grants;
DROP TABLE email_oauth_flows;
