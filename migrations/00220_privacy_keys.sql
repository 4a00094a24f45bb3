-- +goose Up
-- The keys that encrypt what Temporal holds of one workflow about a contact (its payloads,
-- memo, summaries, failures), each wrapped (AES-GCM) by its account's key derived from
-- ROUTEDESK_SECRET_KEY. Erasing the contact erases the key: wrapped becomes NULL, so every
-- history and every backup holding that workflow's payloads can no longer be decoded.
CREATE TABLE privacy_keys (
    id           text PRIMARY KEY,
    account_id   text REFERENCES accounts (id) ON DELETE CASCADE,
    workflow_id  text NOT NULL,
    wrapped      bytea,
    wrap_key_id  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    erased_at    timestamptz,
    CHECK ((wrapped IS NULL) = (erased_at IS NOT NULL))
);
-- One live key per workflow id; a workflow id reused after an erasure gets a new key.
CREATE UNIQUE INDEX privacy_keys_live ON privacy_keys (workflow_id) WHERE erased_at IS NULL;

-- What an erasure did, without personal data: the contact's id (an opaque id), who asked,
-- when, and how many rows of each kind went.
CREATE TABLE privacy_erasures (
    id            text PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id    text NOT NULL,
    requested_by  text NOT NULL,
    workflow_id   text NOT NULL,
    state         text NOT NULL DEFAULT 'running',
    counts        jsonb NOT NULL DEFAULT '{}',
    requested_at  timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    UNIQUE (account_id, contact_id)
);

-- +goose Down
DROP TABLE privacy_erasures;
DROP TABLE privacy_keys;
