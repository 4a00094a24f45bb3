-- +goose Up
-- Reports (issue 28, docs/reports.md): GET /v1/reports reads first responses and resolutions by
-- when they were measured, and SLA breaches by when they were recorded.
CREATE INDEX ticket_measures_kind_at ON ticket_measures (kind, measured_at) INCLUDE (seconds);
CREATE INDEX ticket_events_sla_breached ON ticket_events (created_at) WHERE kind = 'SLABreached';
-- Whether a ticket's target was ever breached (a met target is a measure without one).
CREATE INDEX ticket_events_sla_breached_ticket ON ticket_events (ticket_id, (data ->> 'target')) WHERE kind = 'SLABreached';

-- +goose Down
DROP INDEX ticket_events_sla_breached_ticket;
DROP INDEX ticket_events_sla_breached;
DROP INDEX ticket_measures_kind_at;
