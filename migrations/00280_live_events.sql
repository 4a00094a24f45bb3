-- +goose Up
-- The agents' event stream (GET /v1/events, docs/API.md#live-events): a row per ticket created or changed, message,
-- note and notification, written by triggers in the same transaction as the change. Ids are given at commit, under
-- a per-account advisory lock (deferred constraint triggers), so within an account they grow in commit order and a
-- stream that resumes after Last-Event-ID misses nothing. Rows hold ids and field values only, never message text;
-- they are pruned after a day (store.PruneLive).
CREATE SEQUENCE live_events_seq;
CREATE TABLE live_events (
    id          bigint PRIMARY KEY DEFAULT nextval('live_events_seq'),
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- user_id set: only that user's streams carry the event (their notifications).
    user_id     text,
    kind        text NOT NULL,
    ticket_id   text,
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE live_events_seq OWNED BY live_events.id;
CREATE INDEX live_events_account ON live_events (account_id, id);
CREATE INDEX live_events_created ON live_events (created_at);

-- +goose StatementBegin
-- live_new_id is a time-ordered id like store.NewID (prefix, Unix milliseconds in hex, random hex).
CREATE FUNCTION live_new_id(prefix text) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT prefix || '_' || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
                  || substr(replace(gen_random_uuid()::text, '-', ''), 13)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- live_emit appends an event at commit time: the account's lock makes ids follow commit order; NOTIFY wakes the
-- streams of every server process (delivered at commit). SET routedesk.live = 'off' skips it (bulk loads).
CREATE FUNCTION live_emit(acct text, usr text, kind text, ticket text, data jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('routedesk.live', true) = 'off' THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(28027, hashtext(acct));
    INSERT INTO live_events (account_id, user_id, kind, ticket_id, data) VALUES (acct, usr, kind, ticket, data);
    PERFORM pg_notify('routedesk_live', acct);
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION live_ticket_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text[] := '{}';
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM live_emit(NEW.account_id, NULL, 'ticket.created', NEW.id, jsonb_build_object(
            'status', NEW.status, 'assignee_user_id', NEW.assignee_user_id, 'priority', NEW.priority,
            'routing_state', NEW.routing_state, 'channel_id', NEW.channel_id));
        RETURN NULL;
    END IF;
    IF OLD.status IS DISTINCT FROM NEW.status THEN changed := changed || 'status'::text; END IF;
    IF OLD.assignee_user_id IS DISTINCT FROM NEW.assignee_user_id THEN changed := changed || 'assignee'::text; END IF;
    IF OLD.assignee_team_id IS DISTINCT FROM NEW.assignee_team_id THEN changed := changed || 'team'::text; END IF;
    IF OLD.priority IS DISTINCT FROM NEW.priority THEN changed := changed || 'priority'::text; END IF;
    IF OLD.tags IS DISTINCT FROM NEW.tags THEN changed := changed || 'tags'::text; END IF;
    IF OLD.routing_state IS DISTINCT FROM NEW.routing_state THEN changed := changed || 'routing_state'::text; END IF;
    IF cardinality(changed) > 0 THEN
        PERFORM live_emit(NEW.account_id, NULL, 'ticket.changed', NEW.id, jsonb_build_object('changed', changed,
            'status', NEW.status, 'assignee_user_id', NEW.assignee_user_id, 'priority', NEW.priority,
            'tags', NEW.tags, 'routing_state', NEW.routing_state));
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER tickets_live_insert AFTER INSERT ON tickets DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION live_ticket_event();
CREATE CONSTRAINT TRIGGER tickets_live_update AFTER UPDATE ON tickets DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.assignee_user_id IS DISTINCT FROM NEW.assignee_user_id
        OR OLD.assignee_team_id IS DISTINCT FROM NEW.assignee_team_id OR OLD.priority IS DISTINCT FROM NEW.priority
        OR OLD.tags IS DISTINCT FROM NEW.tags OR OLD.routing_state IS DISTINCT FROM NEW.routing_state)
    EXECUTE FUNCTION live_ticket_event();

-- +goose StatementBegin
CREATE FUNCTION live_message_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tkt text;
BEGIN
    SELECT id INTO tkt FROM tickets WHERE conversation_id = NEW.conversation_id;
    IF tkt IS NOT NULL THEN
        PERFORM live_emit(NEW.account_id, NULL, 'message.created', tkt, jsonb_build_object('message_id', NEW.id,
            'direction', NEW.direction, 'author_user_id', NULLIF(NEW.author->>'user_id', ''), 'status', NEW.status));
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER messages_live_insert AFTER INSERT ON messages DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION live_message_event();

-- +goose StatementBegin
CREATE FUNCTION live_note_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM live_emit(NEW.account_id, NULL, 'note.created', NEW.ticket_id,
        jsonb_build_object('note_id', NEW.id, 'author_user_id', NEW.author_user_id));
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER ticket_notes_live_insert AFTER INSERT ON ticket_notes DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION live_note_event();

-- +goose StatementBegin
CREATE FUNCTION live_notification_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM live_emit(NEW.account_id, NEW.user_id, 'notification', NEW.ticket_id, jsonb_build_object(
        'notification_id', NEW.id, 'kind', NEW.kind, 'actor_user_id', NEW.actor_user_id, 'note_id', NEW.note_id));
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER notifications_live_insert AFTER INSERT ON notifications DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION live_notification_event();

-- Notifications beyond mentions: a ticket assigned to an agent by someone else (or by routing), and a customer's
-- message on a ticket an agent has (kinds assigned and customer_reply; docs/console.md#notifications).
-- +goose StatementBegin
CREATE FUNCTION notify_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    assignee text;
    acct text;
BEGIN
    IF NEW.kind = 'Assigned' THEN
        assignee := NEW.data->>'user_id';
    ELSIF NEW.kind = 'TicketChanged' AND NEW.data ? 'from_assignee_user_id' THEN
        assignee := NULLIF(NEW.data->>'assignee_user_id', '');
    END IF;
    IF assignee IS NULL OR assignee IS NOT DISTINCT FROM NEW.actor_user_id THEN
        RETURN NULL;
    END IF;
    SELECT account_id INTO acct FROM tickets WHERE id = NEW.ticket_id;
    INSERT INTO notifications (id, account_id, user_id, kind, ticket_id, actor_user_id)
        SELECT live_new_id('ntf'), acct, u.id, 'assigned', NEW.ticket_id, NEW.actor_user_id
          FROM users u WHERE u.id = assignee AND u.account_id = acct;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER ticket_events_notify_assignment AFTER INSERT ON ticket_events
    FOR EACH ROW WHEN (NEW.kind IN ('Assigned', 'TicketChanged')) EXECUTE FUNCTION notify_assignment();

-- +goose StatementBegin
CREATE FUNCTION notify_customer_reply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notifications (id, account_id, user_id, kind, ticket_id)
        SELECT live_new_id('ntf'), t.account_id, t.assignee_user_id, 'customer_reply', t.id
          FROM tickets t WHERE t.conversation_id = NEW.conversation_id AND t.assignee_user_id IS NOT NULL AND t.status <> 'closed';
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER messages_notify_customer_reply AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.direction = 'inbound') EXECUTE FUNCTION notify_customer_reply();

-- Who is viewing or typing on a ticket (POST /v1/tickets/{id}/presence): short-lived heartbeats, so unlogged.
CREATE UNLOGGED TABLE ticket_presence (
    account_id     text NOT NULL,
    ticket_id      text NOT NULL,
    user_id        text NOT NULL,
    viewing_until  timestamptz NOT NULL,
    typing_until   timestamptz,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_presence_until ON ticket_presence (viewing_until);

-- Short-lived stream tickets for EventSource, which cannot send an Authorization header (POST /v1/events/tickets).
CREATE UNLOGGED TABLE live_stream_tickets (
    ticket_hash  bytea PRIMARY KEY,
    token_id     text NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX live_stream_tickets_expiry ON live_stream_tickets (expires_at);

-- +goose Down
DROP TABLE live_stream_tickets;
DROP TABLE ticket_presence;
DROP TRIGGER messages_notify_customer_reply ON messages;
DROP FUNCTION notify_customer_reply();
DROP TRIGGER ticket_events_notify_assignment ON ticket_events;
DROP FUNCTION notify_assignment();
DROP TRIGGER notifications_live_insert ON notifications;
DROP FUNCTION live_notification_event();
DROP TRIGGER ticket_notes_live_insert ON ticket_notes;
DROP FUNCTION live_note_event();
DROP TRIGGER messages_live_insert ON messages;
DROP FUNCTION live_message_event();
DROP TRIGGER tickets_live_update ON tickets;
DROP TRIGGER tickets_live_insert ON tickets;
DROP FUNCTION live_ticket_event();
DROP FUNCTION live_emit(text, text, text, text, jsonb);
DROP FUNCTION live_new_id(text);
DROP TABLE live_events;
