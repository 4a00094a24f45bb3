-- +goose Up
-- A contact's name alone, folded, for close-spelling matches (word similarity by trigrams):
-- matched against the whole search text, a name-like q such as "lamp" shared trigrams with
-- every "@example" address and "L…" name, and each of those tens of thousands of candidates
-- had to be rechecked. Emails and phones match as written, through search_text.
ALTER TABLE contacts ADD COLUMN search_name text NOT NULL DEFAULT '';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contacts_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_text := left(lower(routedesk_unaccent(concat_ws(' ', NEW.name, NEW.email, NULLIF(NEW.phone, ''),
                                                   NULLIF(regexp_replace(NEW.phone, '[^0-9]', '', 'g'), '')))), 2000);
  NEW.search_name := left(lower(routedesk_unaccent(COALESCE(NEW.name, ''))), 2000);
  RETURN NEW;
END $$;
-- +goose StatementEnd

UPDATE contacts SET name = name;
CREATE INDEX contacts_search_name ON contacts USING gin (search_name gin_trgm_ops);

-- +goose Down
DROP INDEX contacts_search_name;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contacts_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_text := left(lower(routedesk_unaccent(concat_ws(' ', NEW.name, NEW.email, NULLIF(NEW.phone, ''),
                                                   NULLIF(regexp_replace(NEW.phone, '[^0-9]', '', 'g'), '')))), 2000);
  RETURN NEW;
END $$;
-- +goose StatementEnd
ALTER TABLE contacts DROP COLUMN search_name;
