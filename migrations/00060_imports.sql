-- +goose Up
-- An import of an existing inbox (issue 15): the uploaded file, kept in
-- PostgreSQL so any worker can read it, and the import's progress.
CREATE TABLE imports (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id       text NOT NULL REFERENCES channels (id),
    format           text NOT NULL CHECK (format IN ('ndjson', 'mbox')),
    dry_run          boolean NOT NULL DEFAULT false,
    include_history  boolean NOT NULL DEFAULT true,
    recent_hours     integer NOT NULL DEFAULT 24,
    workflow_id      text NOT NULL,
    state            text NOT NULL DEFAULT 'uploading'
                     CHECK (state IN ('uploading', 'running', 'completed', 'failed', 'cancelled')),
    size_bytes       bigint NOT NULL DEFAULT 0,
    bytes_done       bigint NOT NULL DEFAULT 0,
    total            integer NOT NULL DEFAULT 0,
    imported         integer NOT NULL DEFAULT 0,
    skipped          integer NOT NULL DEFAULT 0,
    -- dry runs: what the import would create
    would_create     jsonb,
    failure          text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz
);
CREATE INDEX imports_account ON imports (account_id, id);

-- The uploaded file in chunks of at most 1 MiB, in order.
CREATE TABLE import_chunks (
    import_id  text NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq        integer NOT NULL,
    data       bytea NOT NULL,
    PRIMARY KEY (import_id, seq)
);

-- A line (NDJSON) or mail (mbox, the line of its "From " separator) that was skipped, and why.
CREATE TABLE import_errors (
    import_id  text NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line       bigint NOT NULL,
    message    text NOT NULL,
    PRIMARY KEY (import_id, line)
);

-- What a dry run has counted already (a contact, conversation or assignee seen
-- on an earlier line is not counted twice); line is where it was first seen,
-- so a retried batch counts the same.
CREATE TABLE import_seen (
    import_id  text NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    key_hash   bytea NOT NULL,
    line       bigint NOT NULL,
    PRIMARY KEY (import_id, kind, key_hash)
);

-- +goose Down
DROP TABLE import_seen;
DROP TABLE import_errors;
DROP TABLE import_chunks;
DROP TABLE imports;
