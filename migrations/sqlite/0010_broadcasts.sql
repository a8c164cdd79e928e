-- Marketing broadcasts: a campaign announces one promotion to the chat users
-- who subscribed. The recipients are written when the campaign is confirmed
-- (one row each), so a crash or restart resumes where it stopped and never
-- sends twice: a row is marked `sending` before its message goes out, and a
-- `sending` row left by a dead runner becomes `unknown`, never re-sent.
-- Kept in step with migrations/postgres/0010_broadcasts.sql.

CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    promotion_id  TEXT NOT NULL REFERENCES promotions (id),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'sending', 'done', 'cancelled')),
    -- Audience filters, comma separated; empty means everyone.
    regions       TEXT NOT NULL DEFAULT '',
    categories    TEXT NOT NULL DEFAULT '',
    -- The announcement as rendered and previewed, per language: what is sent.
    text_id       TEXT NOT NULL,
    text_en       TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    confirmed_by  TEXT,
    confirmed_at  TEXT,
    finished_at   TEXT,
    -- The process sending it, and until when its claim holds.
    runner        TEXT,
    runner_until  TEXT
);
CREATE INDEX campaigns_by_promotion ON campaigns (promotion_id, status);

CREATE TABLE campaign_recipients (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    -- NULL for an announcement channel's post.
    chat_user_id INTEGER REFERENCES chat_users (id),
    kind         TEXT NOT NULL CHECK (kind IN ('direct', 'announcement')),
    channel      TEXT NOT NULL CHECK (channel IN ('telegram', 'discord')),
    -- The platform's user id (direct) or channel id (announcement).
    target       TEXT NOT NULL,
    locale       TEXT NOT NULL CHECK (locale IN ('id', 'en')),
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'blocked', 'unknown')),
    error        TEXT,
    runner       TEXT,
    updated_at   TEXT NOT NULL,
    UNIQUE (campaign_id, channel, target)
);
CREATE INDEX campaign_recipients_by_status ON campaign_recipients (campaign_id, channel, status, id);

-- The progress message of a campaign in each staff channel (edited as it goes).
CREATE TABLE campaign_posts (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    channel     TEXT NOT NULL CHECK (channel IN ('telegram', 'discord')),
    chat_id     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    PRIMARY KEY (campaign_id, channel, chat_id)
);
