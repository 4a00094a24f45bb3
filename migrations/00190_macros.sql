-- +goose Up
-- Canned replies: a body with {{placeholders}} and optional ticket actions. A macro
-- with an owner is personal (only that user sees it); without one it is shared by
-- the account.
CREATE TABLE macros (
    id             text PRIMARY KEY,
    account_id     text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    owner_user_id  text REFERENCES users (id) ON DELETE CASCADE,
    name           text NOT NULL,
    body           text NOT NULL DEFAULT '',
    actions        jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX macros_account ON macros (account_id, id);
-- One name per owner (and one among the shared macros), so a search finds one of each.
CREATE UNIQUE INDEX macros_account_owner_name ON macros (account_id, COALESCE(owner_user_id, ''), lower(name));

-- +goose Down
DROP TABLE macros;
