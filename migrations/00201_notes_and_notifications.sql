-- +goose Up
-- Internal notes on a ticket: for agents only, never sent to a channel (docs/tickets.md, Notes and mentions).
CREATE TABLE ticket_notes (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    ticket_id       text NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_user_id  text REFERENCES users (id) ON DELETE SET NULL,
    body            text NOT NULL,
    mentions        text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id, id);

-- A user's notifications (GET /v1/notifications); a mention of a user who is not available is also
-- emailed, queued here and sent with bounded retries by the alerts sender.
CREATE TABLE notifications (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind             text NOT NULL,
    ticket_id        text REFERENCES tickets (id) ON DELETE CASCADE,
    note_id          text REFERENCES ticket_notes (id) ON DELETE CASCADE,
    actor_user_id    text REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    read_at          timestamptz,
    -- email is none (not emailed), queued, sent or failed (given up after the sender's attempts).
    email            text NOT NULL DEFAULT 'none' CHECK (email IN ('none', 'queued', 'sent', 'failed')),
    email_attempts   integer NOT NULL DEFAULT 0,
    email_next_at    timestamptz NOT NULL DEFAULT now(),
    email_error      text NOT NULL DEFAULT ''
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_email_due ON notifications (email_next_at) WHERE email = 'queued';

-- +goose Down
DROP TABLE notifications;
DROP TABLE ticket_notes;
