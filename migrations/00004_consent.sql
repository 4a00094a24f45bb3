-- +goose Up
-- GDPR consent a contact gave on a channel (Messenger): given, when, which text.
ALTER TABLE contacts ADD COLUMN consent jsonb;

-- +goose Down
ALTER TABLE contacts DROP COLUMN consent;
