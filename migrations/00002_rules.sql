-- +goose Up
CREATE TABLE rules (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name             text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('property', 'skill')),
    channel_id       text REFERENCES channels (id) ON DELETE CASCADE,
    "when"           text NOT NULL,
    set              jsonb NOT NULL DEFAULT '{}',
    require_skills   text[] NOT NULL DEFAULT '{}',
    priority         integer NOT NULL DEFAULT 0,
    enabled          boolean NOT NULL DEFAULT true,
    stop_processing  boolean NOT NULL DEFAULT false,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rules_account ON rules (account_id, id);

-- grows by one on every change to an account's rules; workflows record the
-- version of the rule set they routed by
ALTER TABLE accounts ADD COLUMN rules_version bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE accounts DROP COLUMN rules_version;
DROP TABLE rules;
