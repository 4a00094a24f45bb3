-- +goose Up
-- Reports read one table (issue 28, docs/reports.md): one row per reportable event of a ticket,
-- written in the statement that records the event, so a report reads only its range's rows of one
-- account through one index instead of joining measures, events and surveys to the tickets.
--   kind: created | first_response | next_response | resolution | breached_<target> | csat
--   ref:  '' (one per ticket), or what tells several apart (a next response's reply, a breach's event)
--   v:    seconds (durations) or the rating (csat)
--   start_at, policy_id, business: a duration's start, and whether its policy counts business hours
--         only; business_v is then those seconds (filled by routedesk, which knows the calendars)
--   has_target, breached: the policy had this target, and the ticket breached it (met = both true/false)
--   channel_id, team_id, agent_id: the ticket's, kept current (reports group by the ticket as it is now)
CREATE TABLE report_facts (
    ticket_id   text NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    account_id  text NOT NULL,
    kind        text NOT NULL,
    ref         text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    v           double precision,
    start_at    timestamptz,
    policy_id   text NOT NULL DEFAULT '',
    business    boolean NOT NULL DEFAULT false,
    business_v  double precision,
    has_target  boolean NOT NULL DEFAULT false,
    breached    boolean NOT NULL DEFAULT false,
    channel_id  text NOT NULL DEFAULT '',
    team_id     text NOT NULL DEFAULT '',
    agent_id    text NOT NULL DEFAULT '',
    PRIMARY KEY (ticket_id, kind, ref)
);
CREATE INDEX report_facts_account_at ON report_facts (account_id, at)
    INCLUDE (kind, v, business_v, has_target, breached, channel_id, team_id, agent_id);
CREATE INDEX report_facts_business_todo ON report_facts (account_id) WHERE business AND business_v IS NULL;

-- Whether a ticket's SLA policy has a target, and counts business hours only.
-- +goose StatementBegin
CREATE FUNCTION report_policy_target(policy text, target text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT (p.definition -> 'targets' ->> (target || '_minutes'))::int > 0 FROM sla_policies p WHERE p.id = policy), false)
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION report_policy_business(policy text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT (p.definition ->> 'business_hours_only')::boolean FROM sla_policies p WHERE p.id = policy), false)
$$;
-- +goose StatementEnd

-- A ticket created.
-- +goose StatementBegin
CREATE FUNCTION report_ticket_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_facts (ticket_id, account_id, kind, at, channel_id, team_id, agent_id)
    VALUES (NEW.id, NEW.account_id, 'created', NEW.created_at,
            COALESCE(NEW.channel_id, ''), COALESCE(NEW.assignee_team_id, ''), COALESCE(NEW.assignee_user_id, ''))
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_ticket_created AFTER INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION report_ticket_created();

-- A ticket's channel, team or agent changed: its facts follow.
-- +goose StatementBegin
CREATE FUNCTION report_ticket_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE report_facts SET channel_id = COALESCE(NEW.channel_id, ''), team_id = COALESCE(NEW.assignee_team_id, ''),
           agent_id = COALESCE(NEW.assignee_user_id, '')
     WHERE ticket_id = NEW.id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_ticket_moved AFTER UPDATE OF channel_id, assignee_team_id, assignee_user_id ON tickets FOR EACH ROW
    WHEN (OLD.channel_id IS DISTINCT FROM NEW.channel_id OR OLD.assignee_team_id IS DISTINCT FROM NEW.assignee_team_id
          OR OLD.assignee_user_id IS DISTINCT FROM NEW.assignee_user_id)
    EXECUTE FUNCTION report_ticket_moved();

-- A first response or resolution measured.
-- +goose StatementBegin
CREATE FUNCTION report_measured() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind NOT IN ('first_response', 'resolution') THEN
        RETURN NULL;
    END IF;
    INSERT INTO report_facts (ticket_id, account_id, kind, at, v, start_at, policy_id, business, has_target, breached,
                              channel_id, team_id, agent_id)
    SELECT t.id, t.account_id, NEW.kind, NEW.measured_at, NEW.seconds, t.created_at, COALESCE(t.sla_policy_id, ''),
           report_policy_business(t.sla_policy_id), report_policy_target(t.sla_policy_id, NEW.kind),
           EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'SLABreached' AND e.data ->> 'target' = NEW.kind),
           COALESCE(t.channel_id, ''), COALESCE(t.assignee_team_id, ''), COALESCE(t.assignee_user_id, '')
      FROM tickets t WHERE t.id = NEW.ticket_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_measured AFTER INSERT ON ticket_measures FOR EACH ROW EXECUTE FUNCTION report_measured();

-- An SLA target breached: the first breach of a ticket's first response or resolution, and each breach
-- of a next response, counts; the measure it belongs to is no longer met.
-- +goose StatementBegin
CREATE FUNCTION report_breached() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target text := NEW.data ->> 'target';
BEGIN
    IF target NOT IN ('first_response', 'next_response', 'resolution') THEN
        RETURN NULL;
    END IF;
    INSERT INTO report_facts (ticket_id, account_id, kind, ref, at, channel_id, team_id, agent_id)
    SELECT t.id, t.account_id, 'breached_' || target, CASE WHEN target = 'next_response' THEN NEW.id::text ELSE '' END,
           NEW.created_at, COALESCE(t.channel_id, ''), COALESCE(t.assignee_team_id, ''), COALESCE(t.assignee_user_id, '')
      FROM tickets t WHERE t.id = NEW.ticket_id
    ON CONFLICT DO NOTHING;
    IF target <> 'next_response' THEN
        UPDATE report_facts SET breached = true WHERE ticket_id = NEW.ticket_id AND kind = target AND NOT breached;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_breached AFTER INSERT ON ticket_events FOR EACH ROW WHEN (NEW.kind = 'SLABreached')
    EXECUTE FUNCTION report_breached();

-- A survey answered (or its answer changed or removed).
-- +goose StatementBegin
CREATE FUNCTION report_rated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.rating IS NULL OR NEW.answered_at IS NULL THEN
        DELETE FROM report_facts WHERE ticket_id = NEW.ticket_id AND kind = 'csat';
        RETURN NULL;
    END IF;
    INSERT INTO report_facts (ticket_id, account_id, kind, at, v, channel_id, team_id, agent_id)
    SELECT t.id, t.account_id, 'csat', NEW.answered_at, NEW.rating,
           COALESCE(t.channel_id, ''), COALESCE(t.assignee_team_id, ''), COALESCE(t.assignee_user_id, '')
      FROM tickets t WHERE t.id = NEW.ticket_id
    ON CONFLICT (ticket_id, kind, ref) DO UPDATE SET at = EXCLUDED.at, v = EXCLUDED.v;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_rated AFTER INSERT OR UPDATE OF rating, answered_at ON csat_surveys FOR EACH ROW
    EXECUTE FUNCTION report_rated();

-- What is recorded already.
INSERT INTO report_facts (ticket_id, account_id, kind, at, channel_id, team_id, agent_id)
SELECT id, account_id, 'created', created_at, COALESCE(channel_id, ''), COALESCE(assignee_team_id, ''), COALESCE(assignee_user_id, '')
  FROM tickets;
INSERT INTO report_facts (ticket_id, account_id, kind, at, v, start_at, policy_id, business, has_target, breached, channel_id, team_id, agent_id)
SELECT t.id, t.account_id, m.kind, m.measured_at, m.seconds, t.created_at, COALESCE(t.sla_policy_id, ''),
       report_policy_business(t.sla_policy_id), report_policy_target(t.sla_policy_id, m.kind),
       EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'SLABreached' AND e.data ->> 'target' = m.kind),
       COALESCE(t.channel_id, ''), COALESCE(t.assignee_team_id, ''), COALESCE(t.assignee_user_id, '')
  FROM ticket_measures m JOIN tickets t ON t.id = m.ticket_id
 WHERE m.kind IN ('first_response', 'resolution');
INSERT INTO report_facts (ticket_id, account_id, kind, ref, at, channel_id, team_id, agent_id)
SELECT t.id, t.account_id, 'breached_' || (e.data ->> 'target'), CASE WHEN e.data ->> 'target' = 'next_response' THEN e.id::text ELSE '' END,
       e.created_at, COALESCE(t.channel_id, ''), COALESCE(t.assignee_team_id, ''), COALESCE(t.assignee_user_id, '')
  FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
 WHERE e.kind = 'SLABreached' AND e.data ->> 'target' IN ('first_response', 'next_response', 'resolution')
 ORDER BY e.id
ON CONFLICT DO NOTHING;
INSERT INTO report_facts (ticket_id, account_id, kind, at, v, channel_id, team_id, agent_id)
SELECT t.id, t.account_id, 'csat', c.answered_at, c.rating, COALESCE(t.channel_id, ''), COALESCE(t.assignee_team_id, ''), COALESCE(t.assignee_user_id, '')
  FROM csat_surveys c JOIN tickets t ON t.id = c.ticket_id
 WHERE c.rating IS NOT NULL AND c.answered_at IS NOT NULL;

-- The joins reports no longer make.
DROP INDEX ticket_measures_kind_at;
DROP INDEX ticket_events_sla_breached;
DROP INDEX ticket_events_sla_breached_ticket;

-- +goose Down
CREATE INDEX ticket_measures_kind_at ON ticket_measures (kind, measured_at) INCLUDE (seconds);
CREATE INDEX ticket_events_sla_breached ON ticket_events (created_at) WHERE kind = 'SLABreached';
CREATE INDEX ticket_events_sla_breached_ticket ON ticket_events (ticket_id, (data ->> 'target')) WHERE kind = 'SLABreached';
DROP TRIGGER report_rated ON csat_surveys;
DROP TRIGGER report_breached ON ticket_events;
DROP TRIGGER report_measured ON ticket_measures;
DROP TRIGGER report_ticket_moved ON tickets;
DROP TRIGGER report_ticket_created ON tickets;
DROP FUNCTION report_rated();
DROP FUNCTION report_breached();
DROP FUNCTION report_measured();
DROP FUNCTION report_ticket_moved();
DROP FUNCTION report_ticket_created();
DROP FUNCTION report_policy_business(text);
DROP FUNCTION report_policy_target(text, text);
DROP TABLE report_facts;
