-- +goose Up
-- What assignment needs on a ticket: who may take it while it waits, whether
-- only available agents may, since when it waits, and who had it before.
ALTER TABLE tickets
    ADD COLUMN only_available   boolean NOT NULL DEFAULT true,
    ADD COLUMN candidate_users  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN waiting_since    timestamptz,
    ADD COLUMN assigned_at      timestamptz,
    ADD COLUMN previous_assignee_user_id text;
CREATE INDEX tickets_waiting ON tickets (account_id, waiting_since, id) WHERE routing_state = 'waiting_for_agent';

-- +goose Down
DROP INDEX tickets_waiting;
ALTER TABLE tickets
    DROP COLUMN only_available,
    DROP COLUMN candidate_users,
    DROP COLUMN waiting_since,
    DROP COLUMN assigned_at,
    DROP COLUMN previous_assignee_user_id;
