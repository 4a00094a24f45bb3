-- +goose Up
-- One full-text vector per ticket: its subject and description (tickets.search_vector)
-- followed by every message of its conversation in order, so a text search is one GIN
-- match on tickets that the planner can combine with the sort and filter indexes and LIMIT
-- (walking tickets in order when a word is common, reading the GIN index when it is rare).
-- A message insert appends its vector; edits and deletes rebuild the ticket's. At most
-- 800,000 bytes of text are indexed per ticket (a tsvector holds at most 1 MB); the rest
-- of a longer thread is not searchable.
ALTER TABLE tickets ADD COLUMN text_vector tsvector,
                    ADD COLUMN text_vector_bytes int NOT NULL DEFAULT 0;

-- routedesk_append_text is v followed by m one position further apart, so that a phrase
-- never spans two messages (the gap lexeme ' ' cannot come from the parser and is removed).
-- +goose StatementBegin
CREATE FUNCTION routedesk_append_text(v tsvector, m tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
  SELECT ts_delete(COALESCE(v, ''::tsvector) || ''' '':1'::tsvector || COALESCE(m, ''::tsvector), ' ')
$$;
-- +goose StatementEnd

-- routedesk_text_bytes is how many bytes of body a search vector indexes.
-- +goose StatementBegin
CREATE FUNCTION routedesk_text_bytes(body text) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE(octet_length(left(body, 100000)), 0)
$$;
-- +goose StatementEnd

-- tickets_text_vector builds a ticket's vector from its search_vector (set by the trigger
-- tickets_search_vector, which fires first by name) and its conversation's messages.
-- +goose StatementBegin
CREATE FUNCTION tickets_text_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v tsvector := COALESCE(NEW.search_vector, ''::tsvector);
  n int := routedesk_text_bytes(NEW.subject) + routedesk_text_bytes(NEW.description);
  m record;
BEGIN
  IF NEW.conversation_id IS NOT NULL THEN
    FOR m IN SELECT search_vector, routedesk_text_bytes(text) AS bytes FROM messages
              WHERE conversation_id = NEW.conversation_id AND search_vector <> ''::tsvector ORDER BY sent_at, id LOOP
      EXIT WHEN n + m.bytes > 800000;
      v := routedesk_append_text(v, m.search_vector);
      n := n + m.bytes;
    END LOOP;
  END IF;
  NEW.text_vector := v;
  NEW.text_vector_bytes := n;
  RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER tickets_text_vector BEFORE INSERT OR UPDATE OF subject, description, conversation_id ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_text_vector();

-- messages_ticket_text appends a new message to its ticket's vector and rebuilds the
-- vector of a ticket whose message was edited, moved or deleted.
-- +goose StatementBegin
CREATE FUNCTION messages_ticket_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.search_vector <> ''::tsvector THEN
      UPDATE tickets SET text_vector = routedesk_append_text(text_vector, NEW.search_vector),
                         text_vector_bytes = text_vector_bytes + routedesk_text_bytes(NEW.text)
       WHERE conversation_id = NEW.conversation_id
         AND text_vector_bytes + routedesk_text_bytes(NEW.text) <= 800000;
    END IF;
    RETURN NULL;
  END IF;
  UPDATE tickets SET conversation_id = conversation_id WHERE conversation_id = OLD.conversation_id;
  IF TG_OP = 'UPDATE' AND NEW.conversation_id IS DISTINCT FROM OLD.conversation_id THEN
    UPDATE tickets SET conversation_id = conversation_id WHERE conversation_id = NEW.conversation_id;
  END IF;
  RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER messages_ticket_text AFTER INSERT OR UPDATE OF text, conversation_id OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_ticket_text();

UPDATE tickets SET conversation_id = conversation_id;
CREATE INDEX tickets_text ON tickets USING gin (text_vector);

-- +goose Down
DROP INDEX tickets_text;
DROP TRIGGER messages_ticket_text ON messages;
DROP TRIGGER tickets_text_vector ON tickets;
DROP FUNCTION messages_ticket_text(), tickets_text_vector(), routedesk_text_bytes(text), routedesk_append_text(tsvector, tsvector);
ALTER TABLE tickets DROP COLUMN text_vector_bytes, DROP COLUMN text_vector;
