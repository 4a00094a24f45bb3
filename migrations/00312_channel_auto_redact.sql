-- +goose Up
-- Automatic redaction on arrival (issue 30): a channel with auto_redact set stores its inbound
-- messages with Luhn-valid payment card numbers and Swedish personnummer replaced by markers.
ALTER TABLE channels ADD COLUMN auto_redact boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE channels DROP COLUMN auto_redact;
