-- Channel plumbing: platform events already handled (so a redelivered update,
-- e.g. a retried Telegram webhook, is not answered twice), and files customers
-- sent in chat, kept in the blob store for the re-upload flow.
-- Kept in step with migrations/postgres/0003_channel_events.sql.

CREATE TABLE inbound_events (
    channel     TEXT NOT NULL CHECK (channel IN ('telegram', 'discord', 'console')),
    event_id    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (channel, event_id)
);
CREATE INDEX inbound_events_by_age ON inbound_events (received_at);

CREATE TABLE chat_uploads (
    id           INTEGER PRIMARY KEY,
    chat_user_id INTEGER NOT NULL REFERENCES chat_users (id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        INTEGER NOT NULL CHECK (bytes >= 0),
    sha256       TEXT NOT NULL,
    -- The blob store's key (content address).
    blob_key     TEXT NOT NULL,
    received_at  TEXT NOT NULL
);
CREATE INDEX chat_uploads_by_user ON chat_uploads (chat_user_id, id);
