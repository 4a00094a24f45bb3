-- +goose Up
-- The rules part of a ticket's routing record (GET /v1/tickets/{id}/routing): the rule set version
-- evaluated, the rules that matched, what they set, and the rules that failed and were skipped, each
-- with its kind, field and message. NULL for tickets whose rules were not evaluated (imported, or
-- created before this column).
ALTER TABLE tickets ADD COLUMN rules_outcome jsonb;

-- +goose Down
ALTER TABLE tickets DROP COLUMN rules_outcome;
