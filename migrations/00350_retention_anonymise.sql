-- +goose Up
-- Retention may anonymise instead of delete (issue 30): the ticket and its figures stay for reports
-- (times, status, channel, team, assignee, SLA), its content and the contact's traces go. A
-- conversation anonymised once is not taken again; a delete policy set later still deletes it.
ALTER TABLE retention_policies DROP CONSTRAINT retention_policies_action_check;
ALTER TABLE retention_policies ADD CONSTRAINT retention_policies_action_check CHECK (action IN ('delete', 'anonymise'));
ALTER TABLE conversations ADD COLUMN anonymised_at timestamptz;

-- +goose Down
ALTER TABLE conversations DROP COLUMN anonymised_at;
DELETE FROM retention_policies WHERE action = 'anonymise';
ALTER TABLE retention_policies DROP CONSTRAINT retention_policies_action_check;
ALTER TABLE retention_policies ADD CONSTRAINT retention_policies_action_check CHECK (action IN ('delete'));
