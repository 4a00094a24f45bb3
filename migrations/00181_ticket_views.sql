-- +goose Up
-- Saved ticket views: a name and the filters of GET /v1/tickets (JSON), private to
-- their owner or, with owner_user_id NULL, shared with the whole account. The built-in
-- views (mine, unassigned, pending, open) live in code, not here.
CREATE TABLE ticket_views (
    id             text PRIMARY KEY,
    account_id     text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    owner_user_id  text REFERENCES users (id) ON DELETE CASCADE,
    name           text NOT NULL,
    filters        jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_views_account ON ticket_views (account_id, owner_user_id, id);

-- +goose Down
DROP TABLE ticket_views;
