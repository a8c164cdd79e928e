-- no-transaction
-- The staff channel: posting a claim (new or resubmitted) or an escalation to
-- the staff channel is an outbox job, and each post made is remembered (where
-- it is, what it is about, who decided from it), so it can be edited and
-- replies to it routed.
-- Kept in step with migrations/postgres/0008_staff_posts.sql.
--
-- SQLite cannot change a CHECK in place: jobs is rebuilt, with foreign keys off
-- (only possible outside a transaction, hence `no-transaction`).

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE jobs_new (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('email', 'chat_message', 'staff_post')),
    -- JSON, as the job's kind defines it.
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_at       TEXT NOT NULL,
    lease        TEXT,
    lease_until  TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    done_at      TEXT
);
INSERT INTO jobs_new SELECT id, kind, payload, status, attempts, max_attempts, run_at, lease, lease_until,
    last_error, created_at, updated_at, done_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_due ON jobs (status, run_at);

CREATE TABLE staff_posts (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL CHECK (channel IN ('telegram', 'discord')),
    chat_id       TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    redemption_id INTEGER REFERENCES redemptions (id),
    escalation_id INTEGER REFERENCES escalations (id),
    posted_at     TEXT NOT NULL,
    decided_by    TEXT,
    decided_at    TEXT,
    CHECK ((redemption_id IS NULL) <> (escalation_id IS NULL))
);
CREATE UNIQUE INDEX staff_posts_by_message ON staff_posts (channel, chat_id, message_id);
CREATE INDEX staff_posts_by_redemption ON staff_posts (redemption_id);

COMMIT;
PRAGMA foreign_keys = ON;
