-- +goose Up
-- A contact's data export (GDPR art. 15/20, issue 30): the zip archive an ExportWorkflow wrote,
-- kept in PostgreSQL until expires_at (the workflow then deletes it; erasing the contact does too).
CREATE TABLE privacy_exports (
    id            text PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id    text NOT NULL,
    requested_by  text NOT NULL,
    workflow_id   text NOT NULL,
    state         text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'completed', 'expired')),
    counts        jsonb NOT NULL DEFAULT '{}',
    archive       bytea,
    size_bytes    bigint NOT NULL DEFAULT 0,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    expires_at    timestamptz
);
CREATE INDEX privacy_exports_contact ON privacy_exports (account_id, contact_id, id DESC);

-- +goose Down
DROP TABLE privacy_exports;
