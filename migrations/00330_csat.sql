-- +goose Up
-- CSAT (issue 28): one survey per solved ticket. The conversation's workflow sends the
-- invitation after the account's delay (a durable timer) and cancels it when the ticket
-- reopens; the customer's rating (1–5) and comment land here. Reports read answered rows.
CREATE TABLE csat_surveys (
    ticket_id    text PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    account_id   text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id   text NOT NULL DEFAULT '',
    state        text NOT NULL DEFAULT 'scheduled'
                 CHECK (state IN ('scheduled', 'sent', 'failed', 'cancelled', 'answered')),
    reason       text NOT NULL DEFAULT '',
    rating       smallint CHECK (rating BETWEEN 1 AND 5),
    comment      text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    answered_at  timestamptz
);
CREATE INDEX csat_surveys_answered ON csat_surveys (account_id, answered_at) WHERE rating IS NOT NULL;

-- +goose Down
DROP TABLE csat_surveys;
