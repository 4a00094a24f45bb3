-- +goose Up
-- The approved message templates of a WhatsApp channel's business account, as the
-- Graph API last listed them: a cache every API server shares, refreshed on demand.
CREATE TABLE whatsapp_templates (
    channel_id  text PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    templates   jsonb NOT NULL,
    fetched_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE whatsapp_templates;
