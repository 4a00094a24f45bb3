-- +goose Up
-- Reporting durations, measured once per ticket from stored timestamps: first_response (the first
-- agent reply a channel took), resolution (first solved or closed) and agent_wait (until its first
-- agent). The primary key makes a retried activity measure nothing twice.
CREATE TABLE ticket_measures (
    ticket_id   text NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('first_response', 'resolution', 'agent_wait')),
    seconds     double precision NOT NULL,
    measured_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, kind)
);

-- The histograms /metrics exports, kept up to date in the statement that measures, so any
-- process exports the same figures and a scrape reads a few rows: cumulative counts per bucket
-- bound (store.MeasureBuckets), by kind, channel type and team. Not reduced when tickets are deleted.
CREATE TABLE ticket_measure_histograms (
    kind         text NOT NULL,
    channel_type text NOT NULL,
    team         text NOT NULL,
    counts       bigint[] NOT NULL,
    total        bigint NOT NULL,
    sum_seconds  double precision NOT NULL,
    PRIMARY KEY (kind, channel_type, team)
);

-- +goose Down
DROP TABLE ticket_measure_histograms;
DROP TABLE ticket_measures;
