-- +goose Up
-- A merge records what it moved (identity hashes, ticket ids, earlier merges and merged contacts
-- it re-pointed, and the survivor's fields before and after), so that it can be undone exactly
-- within its grace period; who merged and who undid it. Duplicate suggestions look contacts up
-- by phone and by name + company.
ALTER TABLE contact_merges
    ADD COLUMN merged_by text NOT NULL DEFAULT '',
    ADD COLUMN moved     jsonb,
    ADD COLUMN undone_at timestamptz,
    ADD COLUMN undone_by text;
CREATE INDEX contacts_account_phone ON contacts (account_id, phone) WHERE phone <> '' AND merged_into IS NULL;
CREATE INDEX contacts_name_company ON contacts (account_id, lower(name), lower(company))
    WHERE company <> '' AND name <> '' AND merged_into IS NULL;

-- +goose Down
DROP INDEX contacts_name_company;
DROP INDEX contacts_account_phone;
ALTER TABLE contact_merges DROP COLUMN undone_by, DROP COLUMN undone_at, DROP COLUMN moved, DROP COLUMN merged_by;
