-- +goose Up
-- The ticket lifecycle (docs/tickets.md, Lifecycle): a fixed status vocabulary. Statuses stored before it
-- are mapped as domain.LegacyTicketStatus maps them: resolved/done → solved, waiting/waiting_on_customer →
-- pending, hold/on-hold/on hold → on_hold, "" → new, any other word → open; closed keeps meaning closed.
UPDATE tickets SET status = CASE
    WHEN status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed') THEN status
    WHEN lower(btrim(status)) IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed') THEN lower(btrim(status))
    WHEN lower(btrim(status)) IN ('resolved', 'done') THEN 'solved'
    WHEN lower(btrim(status)) IN ('waiting', 'waiting_on_customer') THEN 'pending'
    WHEN lower(btrim(status)) IN ('hold', 'on-hold', 'on hold') THEN 'on_hold'
    WHEN btrim(status) = '' THEN 'new'
    ELSE 'open' END
 WHERE status NOT IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed');
ALTER TABLE tickets ADD CONSTRAINT tickets_status_vocabulary
    CHECK (status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed'));
-- A channel's ticket defaults follow the same mapping.
UPDATE channels SET ticket_defaults = jsonb_set(ticket_defaults, '{status}', to_jsonb(CASE
    WHEN lower(btrim(ticket_defaults->>'status')) IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed') THEN lower(btrim(ticket_defaults->>'status'))
    WHEN lower(btrim(ticket_defaults->>'status')) IN ('resolved', 'done') THEN 'solved'
    WHEN lower(btrim(ticket_defaults->>'status')) IN ('waiting', 'waiting_on_customer') THEN 'pending'
    WHEN lower(btrim(ticket_defaults->>'status')) IN ('hold', 'on-hold', 'on hold') THEN 'on_hold'
    WHEN btrim(ticket_defaults->>'status') = '' THEN 'new'
    ELSE 'open' END))
 WHERE jsonb_typeof(ticket_defaults->'status') = 'string'
   AND ticket_defaults->>'status' NOT IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed');

-- When a ticket was solved (its solved → closed timer counts from it) and the closed ticket a follow-up follows.
ALTER TABLE tickets ADD COLUMN solved_at timestamptz,
    ADD COLUMN follow_up_of text REFERENCES tickets (id) ON DELETE SET NULL;
UPDATE tickets SET solved_at = updated_at WHERE status = 'solved';
CREATE INDEX tickets_follow_ups ON tickets (follow_up_of) WHERE follow_up_of IS NOT NULL;

-- How long a solved ticket stays solved before it closes (default 4 days).
ALTER TABLE accounts ADD COLUMN solved_close_after_seconds integer NOT NULL DEFAULT 345600
    CHECK (solved_close_after_seconds BETWEEN 1 AND 31536000);

-- The audit trail: who made a change (a user, or none for the system), and from which route or rule.
ALTER TABLE ticket_events ADD COLUMN actor_user_id text REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN via text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE ticket_events DROP COLUMN via, DROP COLUMN actor_user_id;
ALTER TABLE accounts DROP COLUMN solved_close_after_seconds;
DROP INDEX tickets_follow_ups;
ALTER TABLE tickets DROP COLUMN follow_up_of, DROP COLUMN solved_at;
ALTER TABLE tickets DROP CONSTRAINT tickets_status_vocabulary;
