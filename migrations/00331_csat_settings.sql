-- +goose Up
-- CSAT (issue 28): the account's survey setting (on by default, an hour after the ticket is solved,
-- as Zendesk does) and the outbound message that carries a survey's invitation (its delivery's
-- outcome, sent or failed with the reason, is the survey's).
ALTER TABLE accounts ADD COLUMN csat_enabled boolean NOT NULL DEFAULT true;
ALTER TABLE accounts ADD COLUMN csat_delay_seconds integer NOT NULL DEFAULT 3600
    CHECK (csat_delay_seconds BETWEEN 1 AND 2592000);
ALTER TABLE csat_surveys ADD COLUMN message_id text NOT NULL DEFAULT '';
CREATE INDEX csat_surveys_message ON csat_surveys (message_id) WHERE message_id <> '';

-- +goose Down
DROP INDEX csat_surveys_message;
ALTER TABLE csat_surveys DROP COLUMN message_id;
ALTER TABLE accounts DROP COLUMN csat_delay_seconds;
ALTER TABLE accounts DROP COLUMN csat_enabled;
