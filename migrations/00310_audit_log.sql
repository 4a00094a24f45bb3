-- +goose Up
-- The account's audit log of privacy operations (issue 30): every erasure, export, retention run
-- and redaction, with who asked (a user or token id, or "system"), when, what it reached (opaque
-- ids) and how many rows. It holds no personal data: no names, addresses, texts or reasons.
CREATE TABLE audit_log (
    id            text PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    action        text NOT NULL CHECK (action IN ('erase', 'export', 'retention', 'redact')),
    -- the operation's own id (an erasure, an export, a retention run, a redaction): a retried
    -- step records the same entry again, never a second one
    ref           text NOT NULL,
    actor         text NOT NULL,
    subject_kind  text NOT NULL DEFAULT '',
    subject_id    text NOT NULL DEFAULT '',
    state         text NOT NULL DEFAULT 'completed',
    counts        jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, action, ref)
);
CREATE INDEX audit_log_account ON audit_log (account_id, id DESC);

-- +goose Down
DROP TABLE audit_log;
