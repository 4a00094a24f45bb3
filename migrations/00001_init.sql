-- +goose Up
CREATE TABLE accounts (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    tier        text NOT NULL CHECK (tier IN ('starter', 'professional', 'enterprise')),
    timezone    text NOT NULL DEFAULT 'UTC',
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_one_default ON accounts (is_default) WHERE is_default;

CREATE TABLE users (
    id            text PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email         text NOT NULL,
    name          text NOT NULL DEFAULT '',
    has_profile   boolean NOT NULL DEFAULT true,
    skills        text[] NOT NULL DEFAULT '{}',
    capacity      integer NOT NULL DEFAULT 5 CHECK (capacity >= 0),
    availability  text NOT NULL DEFAULT 'offline' CHECK (availability IN ('available', 'away', 'offline')),
    availability_changed_at timestamptz NOT NULL DEFAULT now(),
    last_assigned_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_account_email ON users (account_id, lower(email));

CREATE TABLE api_tokens (
    id          text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id     text REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('admin', 'agent')),
    token_hash  bytea NOT NULL UNIQUE,
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (role = 'admin' OR user_id IS NOT NULL)
);

CREATE TABLE teams (
    id          text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_account_name ON teams (account_id, lower(name));

CREATE TABLE team_members (
    team_id  text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE channels (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type             text NOT NULL,
    name             text NOT NULL,
    status           text NOT NULL DEFAULT 'connected',
    config           jsonb NOT NULL DEFAULT '{}',
    config_sealed    bytea,
    external_key     text,
    ticket_defaults  jsonb NOT NULL DEFAULT '{}',
    routing          jsonb NOT NULL DEFAULT '{}',
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channels_account ON channels (account_id, id);
-- a Messenger page or WhatsApp number routes webhooks to exactly one channel
CREATE UNIQUE INDEX channels_global_key ON channels (type, external_key)
    WHERE type IN ('messenger', 'whatsapp') AND external_key IS NOT NULL;
-- a team address or phone number is connected once per account
CREATE UNIQUE INDEX channels_account_key ON channels (account_id, type, external_key)
    WHERE external_key IS NOT NULL;

CREATE TABLE contacts (
    id             text PRIMARY KEY,
    account_id     text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email          text,
    name           text NOT NULL DEFAULT '',
    owner_user_id  text REFERENCES users (id) ON DELETE SET NULL,
    properties     jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_account_email ON contacts (account_id, lower(email)) WHERE email IS NOT NULL;

-- An identity under which a contact writes in: an email address, a chat
-- visitor id scoped to its channel, a Messenger page-scoped id, a phone number.
CREATE TABLE contact_identities (
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    value       text NOT NULL,
    contact_id  text NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, kind, value)
);

CREATE TABLE conversations (
    id           text PRIMARY KEY,
    account_id   text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id   text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    thread_key   text NOT NULL,
    workflow_id  text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, thread_key)
);

CREATE TABLE tickets (
    id                text PRIMARY KEY,
    account_id        text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation_id   text NOT NULL UNIQUE REFERENCES conversations (id) ON DELETE CASCADE,
    channel_id        text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    contact_id        text REFERENCES contacts (id) ON DELETE SET NULL,
    subject           text NOT NULL DEFAULT '',
    description       text NOT NULL DEFAULT '',
    pipeline          text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'new',
    priority          text NOT NULL DEFAULT '',
    properties        jsonb NOT NULL DEFAULT '{}',
    required_skills   text[] NOT NULL DEFAULT '{}',
    assignee_user_id  text REFERENCES users (id) ON DELETE SET NULL,
    assignee_team_id  text REFERENCES teams (id) ON DELETE SET NULL,
    routing_state     text NOT NULL DEFAULT 'routing',
    reply_window      jsonb NOT NULL DEFAULT '{"state": "none"}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_account ON tickets (account_id, id);
CREATE INDEX tickets_assignee_open ON tickets (assignee_user_id) WHERE status <> 'closed';

CREATE TABLE messages (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id       text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    conversation_id  text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    external_id      text NOT NULL,
    direction        text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    author           jsonb NOT NULL DEFAULT '{}',
    subject          text NOT NULL DEFAULT '',
    text             text NOT NULL DEFAULT '',
    html             text NOT NULL DEFAULT '',
    tag              text NOT NULL DEFAULT '',
    status           text NOT NULL,
    sent_at          timestamptz NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    -- set once the conversation workflow has accepted the message; NULL rows
    -- are re-driven to Temporal by the server's redrive loop.
    delivered_at     timestamptz,
    UNIQUE (channel_id, external_id)
);
CREATE INDEX messages_conversation ON messages (conversation_id, sent_at, id);
CREATE INDEX messages_undelivered ON messages (received_at) WHERE delivered_at IS NULL AND direction = 'inbound';

CREATE TABLE ticket_events (
    id          bigserial PRIMARY KEY,
    ticket_id   text NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- +goose Down
DROP TABLE ticket_events;
DROP TABLE messages;
DROP TABLE tickets;
DROP TABLE conversations;
DROP TABLE contact_identities;
DROP TABLE contacts;
DROP TABLE channels;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE accounts;
