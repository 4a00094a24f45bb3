-- +goose Up
-- First-class contact fields rules can read, and merges: a merged contact
-- keeps its row only as a pointer to the contact it became (merged_into), so
-- running conversations that still name it resolve to the survivor.
ALTER TABLE contacts
    ADD COLUMN phone       text NOT NULL DEFAULT '',
    ADD COLUMN country     text NOT NULL DEFAULT '',
    ADD COLUMN language    text NOT NULL DEFAULT '',
    ADD COLUMN company     text NOT NULL DEFAULT '',
    ADD COLUMN merged_into text REFERENCES contacts (id) ON DELETE CASCADE;
CREATE INDEX contacts_merged_into ON contacts (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE contact_merges (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    into_contact_id  text NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    from_contact_id  text NOT NULL,
    from_name        text NOT NULL DEFAULT '',
    from_email       text,
    merged_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_merges_into ON contact_merges (into_contact_id, merged_at);

-- +goose Down
DROP TABLE contact_merges;
ALTER TABLE contacts DROP COLUMN merged_into, DROP COLUMN company, DROP COLUMN language, DROP COLUMN country, DROP COLUMN phone;
