-- +goose Up
-- Durable reply delivery: a reply whose channel failed temporarily is `retrying` until its
-- channel's retry period runs out; these say how many attempts it had and when the next is due
-- (failure_reason holds the last attempt's error). The retry endpoint requeues a failed reply.
ALTER TABLE messages ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz;

-- +goose Down
UPDATE messages SET status = 'queued' WHERE status = 'retrying';
ALTER TABLE messages DROP COLUMN next_attempt_at, DROP COLUMN attempts;
