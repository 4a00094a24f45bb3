-- +goose Up
-- Why an outbound message ended failed: the channel's refusal, or the last
-- error once its bounded retries ran out. Shown by GET /v1/tickets/{id}/messages.
ALTER TABLE messages ADD COLUMN failure_reason text;

-- +goose Down
ALTER TABLE messages DROP COLUMN failure_reason;
