-- +goose Up
-- Ticket priority is a fixed vocabulary (docs/tickets.md, Priority and tags). Priorities stored before it
-- are mapped as domain.LegacyTicketPriority maps them: low/normal/high/urgent in any case keep their word,
-- critical/emergency → urgent, anything else (empty, medium, vip, …) → normal.
UPDATE tickets SET priority = CASE
    WHEN lower(btrim(priority)) IN ('low', 'normal', 'high', 'urgent') THEN lower(btrim(priority))
    WHEN lower(btrim(priority)) IN ('critical', 'emergency') THEN 'urgent'
    ELSE 'normal' END
 WHERE priority NOT IN ('low', 'normal', 'high', 'urgent');
ALTER TABLE tickets ALTER COLUMN priority SET DEFAULT 'normal',
    ADD CONSTRAINT tickets_priority_vocabulary CHECK (priority IN ('low', 'normal', 'high', 'urgent'));
-- A channel's ticket defaults follow the same mapping (an empty default stays empty: it means normal).
UPDATE channels SET ticket_defaults = jsonb_set(ticket_defaults, '{priority}', to_jsonb(CASE
    WHEN lower(btrim(ticket_defaults->>'priority')) IN ('low', 'normal', 'high', 'urgent') THEN lower(btrim(ticket_defaults->>'priority'))
    WHEN lower(btrim(ticket_defaults->>'priority')) IN ('critical', 'emergency') THEN 'urgent'
    ELSE 'normal' END))
 WHERE jsonb_typeof(ticket_defaults->'priority') = 'string' AND ticket_defaults->>'priority' <> ''
   AND ticket_defaults->>'priority' NOT IN ('low', 'normal', 'high', 'urgent');

-- +goose Down
ALTER TABLE tickets DROP CONSTRAINT tickets_priority_vocabulary, ALTER COLUMN priority SET DEFAULT '';
