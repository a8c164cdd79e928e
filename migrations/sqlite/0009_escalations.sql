-- Escalations handled in the staff channel: why one was opened, when and by
-- whom it was closed; consecutive fallbacks per chat user (two in a row open
-- an escalation); the recent transcript of each chat (what staff see when a
-- customer asks for a person); messages handled, by channel and intent, for
-- the metrics.
-- Kept in step with migrations/postgres/0009_escalations.sql.

ALTER TABLE escalations ADD COLUMN cause TEXT NOT NULL DEFAULT 'asked'
    CHECK (cause IN ('asked', 'fallbacks', 'email'));
ALTER TABLE escalations ADD COLUMN closed_at TEXT;
ALTER TABLE escalations ADD COLUMN closed_by TEXT;
CREATE INDEX escalations_by_chat_user ON escalations (chat_user_id, status);

ALTER TABLE chat_users ADD COLUMN fallbacks INTEGER NOT NULL DEFAULT 0;

CREATE TABLE chat_transcript (
    id           INTEGER PRIMARY KEY,
    chat_user_id INTEGER NOT NULL REFERENCES chat_users (id),
    role         TEXT NOT NULL CHECK (role IN ('customer', 'bot', 'agent')),
    text         TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX chat_transcript_by_user ON chat_transcript (chat_user_id, id);

CREATE TABLE chat_message_counts (
    channel TEXT NOT NULL CHECK (channel IN ('telegram', 'discord', 'console')),
    intent  TEXT NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (channel, intent)
);
