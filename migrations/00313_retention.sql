-- +goose Up
-- Retention (issue 30): per account, and optionally per channel, delete conversations whose
-- ticket was closed more than days ago. A channel's own policy wins over the account's.
CREATE TABLE retention_policies (
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id  text NOT NULL DEFAULT '',
    days        integer NOT NULL CHECK (days >= 1),
    action      text NOT NULL DEFAULT 'delete' CHECK (action IN ('delete')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, channel_id)
);
-- The last retention run of each account: when and how many conversations went.
CREATE TABLE retention_runs (
    account_id   text PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    run_id       text NOT NULL,
    state        text NOT NULL,
    counts       jsonb NOT NULL DEFAULT '{}',
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX tickets_closed_at ON tickets (account_id, updated_at) WHERE status = 'closed' AND conversation_id IS NOT NULL;

-- +goose Down
DROP INDEX tickets_closed_at;
DROP TABLE retention_runs;
DROP TABLE retention_policies;
