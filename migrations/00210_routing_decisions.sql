-- +goose Up
-- The candidate part of a ticket's routing record (GET /v1/tickets/{id}/routing): one row per
-- routing decision (a claim, a previous agent tried on reopen, a dispatch, nobody to route to),
-- written in the transaction that made it. Ids only: names are joined when the record is read.
-- Bounded: at most 20 candidates listed per decision (reasons counts every candidate) and the
-- newest 10 decisions kept per ticket.
CREATE TABLE routing_decisions (
    id              bigserial PRIMARY KEY,
    ticket_id       text NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    decided_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    strategy        text NOT NULL,
    outcome         text NOT NULL,
    chosen_user_id  text,
    required_skills text[] NOT NULL DEFAULT '{}',
    only_available  boolean NOT NULL DEFAULT true,
    considered      integer NOT NULL DEFAULT 0,
    reasons         jsonb NOT NULL DEFAULT '{}',
    candidates      jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX routing_decisions_ticket ON routing_decisions (ticket_id, id DESC);

-- +goose Down
DROP TABLE routing_decisions;
