-- +goose Up
-- Ticket search: full-text vectors of ticket subjects/descriptions and message texts
-- in the account's text search configuration (accounts.search_language, 'simple' by
-- default: no stemming, no stop words, right for any language), accents folded by
-- unaccent; trigram matching of contact names, emails and phones; tags and the
-- indexes the ticket filters and sorts walk.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

ALTER TABLE accounts ADD COLUMN search_language regconfig NOT NULL DEFAULT 'simple';
ALTER TABLE tickets ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
                    ADD COLUMN search_vector tsvector;
ALTER TABLE messages ADD COLUMN search_vector tsvector;
ALTER TABLE contacts ADD COLUMN search_text text NOT NULL DEFAULT '';

-- routedesk_search_vector is body as the account's language indexes it (at most 100,000
-- characters: a tsvector holds at most 1 MB).
-- +goose StatementBegin
CREATE FUNCTION routedesk_search_vector(account text, body text) RETURNS tsvector
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
  SELECT to_tsvector(COALESCE((SELECT search_language FROM accounts WHERE id = account), 'simple'::regconfig),
                     unaccent('unaccent'::regdictionary, left(body, 100000)))
$$;
-- +goose StatementEnd

-- routedesk_unaccent is body with its accents folded (unaccent, whatever schema holds it).
-- +goose StatementBegin
CREATE FUNCTION routedesk_unaccent(body text) RETURNS text
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
  SELECT unaccent('unaccent'::regdictionary, body)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION tickets_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := setweight(routedesk_search_vector(NEW.account_id, NEW.subject), 'A') ||
                       setweight(routedesk_search_vector(NEW.account_id, NEW.description), 'B');
  RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER tickets_search_vector BEFORE INSERT OR UPDATE OF subject, description ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_search_vector();

-- +goose StatementBegin
CREATE FUNCTION messages_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := routedesk_search_vector(NEW.account_id, NEW.text);
  RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER messages_search_vector BEFORE INSERT OR UPDATE OF text ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_search_vector();

-- A contact's search text: name, email, phone as written and its digits alone (so
-- "070 123" finds +46701234567), folded; matched by trigrams.
-- +goose StatementBegin
CREATE FUNCTION contacts_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_text := left(lower(routedesk_unaccent(concat_ws(' ', NEW.name, NEW.email, NULLIF(NEW.phone, ''),
                                                   NULLIF(regexp_replace(NEW.phone, '[^0-9]', '', 'g'), '')))), 2000);
  RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER contacts_search_text BEFORE INSERT OR UPDATE OF name, email, phone ON contacts
    FOR EACH ROW EXECUTE FUNCTION contacts_search_text();

UPDATE tickets SET subject = subject;
UPDATE messages SET text = text;
UPDATE contacts SET name = name;

CREATE INDEX tickets_search ON tickets USING gin (search_vector);
CREATE INDEX messages_search ON messages USING gin (search_vector);
CREATE INDEX contacts_search ON contacts USING gin (search_text gin_trgm_ops);
CREATE INDEX tickets_account_created ON tickets (account_id, created_at, id);
CREATE INDEX tickets_account_updated ON tickets (account_id, updated_at, id);
CREATE INDEX tickets_account_status ON tickets (account_id, status, id);
CREATE INDEX tickets_open ON tickets (account_id, assignee_user_id, id) WHERE status <> 'closed';
CREATE INDEX tickets_account_assignee ON tickets (account_id, assignee_user_id, id);
CREATE INDEX tickets_account_team ON tickets (account_id, assignee_team_id, id);
CREATE INDEX tickets_account_channel ON tickets (account_id, channel_id, id);
CREATE INDEX tickets_account_priority ON tickets (account_id, priority, id);
CREATE INDEX tickets_tags ON tickets USING gin (tags);

-- +goose Down
DROP INDEX tickets_tags, tickets_account_priority, tickets_account_channel, tickets_account_team,
           tickets_account_assignee, tickets_open, tickets_account_status, tickets_account_updated,
           tickets_account_created, contacts_search, messages_search, tickets_search;
DROP TRIGGER contacts_search_text ON contacts;
DROP TRIGGER messages_search_vector ON messages;
DROP TRIGGER tickets_search_vector ON tickets;
DROP FUNCTION contacts_search_text(), messages_search_vector(), tickets_search_vector(),
              routedesk_unaccent(text), routedesk_search_vector(text, text);
ALTER TABLE contacts DROP COLUMN search_text;
ALTER TABLE messages DROP COLUMN search_vector;
ALTER TABLE tickets DROP COLUMN search_vector, DROP COLUMN tags;
ALTER TABLE accounts DROP COLUMN search_language;
