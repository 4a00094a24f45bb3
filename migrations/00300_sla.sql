-- +goose Up
-- Service-level policies (docs/sla.md): an account's, tried by position, the first that matches applies.
-- definition holds the policy as the API takes it (sla.Policy): conditions, targets, calendar, actions.
CREATE TABLE sla_policies (
    id          text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position    integer NOT NULL DEFAULT 0,
    name        text NOT NULL,
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sla_policies_account ON sla_policies (account_id, position, id);

-- The ticket's SLA as its conversation workflow keeps it: the policy that applies, the next deadline
-- (the earliest of its running targets) and whether a target was breached.
ALTER TABLE tickets ADD COLUMN sla_policy_id text REFERENCES sla_policies (id) ON DELETE SET NULL,
    ADD COLUMN sla_due_at timestamptz,
    ADD COLUMN sla_breached boolean NOT NULL DEFAULT false;
-- GET /v1/tickets?sort=sla_due walks this index (its key is store.SLADueOrder's expression).
CREATE INDEX tickets_account_sla_due ON tickets (account_id, (COALESCE(sla_due_at, '9999-12-31T00:00:00Z'::timestamptz)), id);

-- Per-team clocks: each span a team held the ticket (to is null while it still does).
CREATE TABLE ticket_team_spans (
    ticket_id  text NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    team_id    text NOT NULL,
    from_at    timestamptz NOT NULL,
    to_at      timestamptz,
    PRIMARY KEY (ticket_id, from_at)
);

-- An SLA notification says which target of which ticket warned or breached (a mention's text is its note's).
ALTER TABLE notifications ADD COLUMN detail text NOT NULL DEFAULT '';

-- Every SLA target met in time (achieved) or breached, counted for routedesk_sla_*_total.
CREATE TABLE sla_outcomes (
    target   text NOT NULL,
    outcome  text NOT NULL CHECK (outcome IN ('achieved', 'breached')),
    n        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (target, outcome)
);

-- +goose Down
DROP TABLE sla_outcomes;
ALTER TABLE notifications DROP COLUMN detail;
DROP TABLE ticket_team_spans;
DROP INDEX tickets_account_sla_due;
ALTER TABLE tickets DROP COLUMN sla_breached, DROP COLUMN sla_due_at, DROP COLUMN sla_policy_id;
DROP TABLE sla_policies;
