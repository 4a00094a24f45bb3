-- +goose Up
-- Each channel component's health (health.Next is the state machine): the
-- state, the last failure for a person, since when, the last success, and the
-- failures counted for /metrics.
CREATE TABLE channel_health (
    channel_id        text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    component         text NOT NULL,
    state             text NOT NULL CHECK (state IN ('ok', 'degraded', 'failing')),
    reason            text NOT NULL DEFAULT '',
    since             timestamptz NOT NULL,
    last_success_at   timestamptz,
    failures          integer NOT NULL DEFAULT 0,
    first_failure_at  timestamptz,
    failures_total    bigint NOT NULL DEFAULT 0,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, component)
);

-- The emails telling an account's admins that a channel started failing, one
-- row per recipient, sent (and retried) by the alert sender apart from polling.
CREATE TABLE channel_health_alerts (
    id               bigserial PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id       text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    component        text NOT NULL,
    reason           text NOT NULL,
    recipient        text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    given_up_at      timestamptz,
    last_error       text NOT NULL DEFAULT ''
);
CREATE INDEX channel_health_alerts_due ON channel_health_alerts (next_attempt_at) WHERE sent_at IS NULL AND given_up_at IS NULL;

-- +goose Down
DROP TABLE channel_health_alerts;
DROP TABLE channel_health;
