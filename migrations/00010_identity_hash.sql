-- +goose Up
-- A visitor id can be longer than a btree index row may be (a Messenger PSID
-- or chat visitor id of 1,000 four-byte characters is 4,000 bytes), so
-- identities are unique on the SHA-256 of the value's UTF-8 instead of the value.
ALTER TABLE contact_identities ADD COLUMN value_hash bytea;
UPDATE contact_identities SET value_hash = sha256(convert_to(value, 'UTF8'));
ALTER TABLE contact_identities ALTER COLUMN value_hash SET NOT NULL;
ALTER TABLE contact_identities DROP CONSTRAINT contact_identities_pkey;
ALTER TABLE contact_identities ADD PRIMARY KEY (account_id, kind, value_hash);

-- +goose Down
ALTER TABLE contact_identities DROP CONSTRAINT contact_identities_pkey;
ALTER TABLE contact_identities ADD PRIMARY KEY (account_id, kind, value);
ALTER TABLE contact_identities DROP COLUMN value_hash;
