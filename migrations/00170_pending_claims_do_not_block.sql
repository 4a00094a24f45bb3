-- +goose Up
-- An unproven (pending_verification) claim no longer blocks an identity: only a
-- connected channel owns it. Several accounts may wait to prove one address;
-- the first proof connects its channel and disconnects the other pending claims
-- (status_reason claimed_by_another_channel). Before, whoever typed an address
-- first held it forever without ever proving it.
DROP INDEX channels_owner;
CREATE UNIQUE INDEX channels_owner ON channels (type, external_key)
    WHERE external_key IS NOT NULL AND status = 'connected';
CREATE INDEX channels_claims ON channels (type, external_key)
    WHERE external_key IS NOT NULL AND status <> 'disconnected';

-- +goose Down
UPDATE channels c SET status = 'disconnected', disconnected_at = now(), updated_at = now(),
       status_reason = 'claimed_by_another_channel'
  FROM (SELECT id, row_number() OVER (PARTITION BY type, external_key ORDER BY status = 'connected' DESC, created_at, id) AS n
          FROM channels WHERE external_key IS NOT NULL AND status <> 'disconnected') ranked
 WHERE c.id = ranked.id AND ranked.n > 1;
DROP INDEX channels_claims;
DROP INDEX channels_owner;
CREATE UNIQUE INDEX channels_owner ON channels (type, external_key)
    WHERE external_key IS NOT NULL AND status <> 'disconnected';
