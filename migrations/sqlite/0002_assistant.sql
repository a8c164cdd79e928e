-- The assistant: chat users with their language, dialogue state and consent;
-- products they proved they own; failed ownership checks (for rate limiting);
-- requests to talk to a person. Kept in step with migrations/postgres/0002_assistant.sql.

CREATE TABLE chat_users (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL CHECK (channel IN ('telegram', 'discord', 'console')),
    external_id     TEXT NOT NULL,
    -- The language the user chose explicitly; NULL until they do.
    locale          TEXT CHECK (locale IN ('id', 'en')),
    -- The language of their latest message that told, for messages that don't.
    detected_locale TEXT CHECK (detected_locale IN ('id', 'en')),
    -- The dialogue state as JSON (see assistant::state).
    dialogue        TEXT NOT NULL DEFAULT '{"state":"idle"}',
    subscribed      BOOLEAN NOT NULL DEFAULT FALSE,
    consent_at      TEXT,
    unsubscribed_at TEXT,
    -- FALSE once the platform says the user blocked us or left.
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (channel, external_id)
);

CREATE TABLE consent_events (
    id           INTEGER PRIMARY KEY,
    chat_user_id INTEGER NOT NULL REFERENCES chat_users (id),
    kind         TEXT NOT NULL CHECK (kind IN ('subscribed', 'unsubscribed')),
    at           TEXT NOT NULL
);
CREATE INDEX consent_events_by_user ON consent_events (chat_user_id, id);

CREATE TABLE chat_ownership (
    chat_user_id INTEGER NOT NULL REFERENCES chat_users (id),
    product_id   INTEGER NOT NULL REFERENCES products (id),
    proven_at    TEXT NOT NULL,
    PRIMARY KEY (chat_user_id, product_id)
);

CREATE TABLE ownership_failures (
    id           INTEGER PRIMARY KEY,
    chat_user_id INTEGER NOT NULL REFERENCES chat_users (id),
    at           TEXT NOT NULL
);
CREATE INDEX ownership_failures_by_user ON ownership_failures (chat_user_id, at);

CREATE TABLE escalations (
    id           INTEGER PRIMARY KEY,
    chat_user_id INTEGER NOT NULL REFERENCES chat_users (id),
    -- What the customer wrote when asking for a person (may be empty).
    message      TEXT NOT NULL,
    locale       TEXT NOT NULL CHECK (locale IN ('id', 'en')),
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
    created_at   TEXT NOT NULL
);
CREATE INDEX escalations_open ON escalations (status, created_at);
