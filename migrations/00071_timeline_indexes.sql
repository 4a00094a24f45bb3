-- +goose Up
-- A contact's timeline finds its messages by its tickets' conversations and by the identities of
-- their authors (email, phone, a channel's user id); these indexes make each a lookup rather than a
-- scan of every message of the account. The values are indexed by their md5: an author's id can be
-- longer than a btree row may be (a 1,000-character PSID of 4-byte characters), and the query checks
-- the value itself after the hash.
CREATE INDEX contact_identities_contact ON contact_identities (contact_id);
CREATE INDEX tickets_contact ON tickets (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX messages_author_email ON messages (account_id, md5(lower(author->>'email')))
    WHERE direction = 'inbound';
CREATE INDEX messages_author_phone ON messages (account_id, md5(author->>'phone'))
    WHERE direction = 'inbound';
CREATE INDEX messages_author_channel_user ON messages (account_id, md5(channel_id || ':' || (author->>'external_user_id')))
    WHERE direction = 'inbound';

-- +goose Down
DROP INDEX messages_author_channel_user;
DROP INDEX messages_author_phone;
DROP INDEX messages_author_email;
DROP INDEX tickets_contact;
DROP INDEX contact_identities_contact;
