-- +goose Up
-- A ticket from POST /v1/tickets may have no channel (and so no conversation) until someone
-- replies through one. Such a ticket keeps its own workflow id (its routing and agents' actions
-- run there) and, when it is routed, the routing it was given; a routing object on a channel
-- ticket overrides its channel's routing the same way.
ALTER TABLE tickets ALTER COLUMN channel_id DROP NOT NULL,
    ALTER COLUMN conversation_id DROP NOT NULL,
    ADD COLUMN workflow_id text UNIQUE,
    ADD COLUMN routing jsonb,
    -- the redrive loop's attempts to start a channel-less ticket's routing, and when it may try next
    ADD COLUMN route_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN route_next_at timestamptz,
    ADD CONSTRAINT tickets_channel_with_conversation CHECK ((channel_id IS NULL) = (conversation_id IS NULL)),
    ADD CONSTRAINT tickets_thread_or_workflow CHECK (conversation_id IS NOT NULL OR workflow_id IS NOT NULL);
-- the redrive loop's look for channel-less tickets whose routing never started
CREATE INDEX tickets_to_route ON tickets (created_at) WHERE conversation_id IS NULL AND routing_state = 'routing';

-- +goose Down
DROP INDEX tickets_to_route;
DELETE FROM ticket_events WHERE ticket_id IN (SELECT id FROM tickets WHERE conversation_id IS NULL);
DELETE FROM tickets WHERE conversation_id IS NULL;
ALTER TABLE tickets DROP CONSTRAINT tickets_thread_or_workflow,
    DROP CONSTRAINT tickets_channel_with_conversation,
    DROP COLUMN routing,
    DROP COLUMN route_attempts,
    DROP COLUMN route_next_at,
    DROP COLUMN workflow_id,
    ALTER COLUMN conversation_id SET NOT NULL,
    ALTER COLUMN channel_id SET NOT NULL;
