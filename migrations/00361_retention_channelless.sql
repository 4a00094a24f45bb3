-- +goose Up
-- Retention reaches tickets without a conversation (issue 30, docs/privacy.md): an anonymised one
-- is marked, as an anonymised conversation is, so an anonymise policy takes it once.
ALTER TABLE tickets ADD COLUMN anonymised_at timestamptz;

-- +goose Down
ALTER TABLE tickets DROP COLUMN anonymised_at;
