-- +goose Up
-- A form submission is an inbound message (its visible fields, "Label: value",
-- are the message text the ticket's thread shows) plus this row: every field
-- the submitter sent, hidden ones included, which only rules and the contact's
-- timeline see.
CREATE TABLE submissions (
    message_id    text PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id    text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    fields        jsonb NOT NULL DEFAULT '{}',
    hidden        jsonb NOT NULL DEFAULT '{}',
    description   text NOT NULL DEFAULT '',
    page_url      text NOT NULL DEFAULT '',
    submitted_at  timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE submissions;
