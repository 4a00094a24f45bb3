-- +goose Up
-- The periodic check of a Messenger or WhatsApp channel's Graph token and webhook
-- subscription (server/graphcheck.go): when the next check is due (a server that
-- claims it pushes this forward as its lease), failures in a row for the backoff,
-- and when the last signed webhook delivery for the channel arrived.
CREATE TABLE graph_checks (
    channel_id      text PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    next_check_at   timestamptz NOT NULL DEFAULT now(),
    failures        integer NOT NULL DEFAULT 0,
    checked_at      timestamptz,
    last_webhook_at timestamptz
);
CREATE INDEX graph_checks_due ON graph_checks (next_check_at);

-- +goose Down
DROP TABLE graph_checks;
