-- no-transaction
-- Inbound mail: every message read (over IMAP or `mail ingest`) and what was
-- done with it, keyed so the same message never acts twice; escalations that
-- come from email rather than chat; chat messages as outbox jobs (a notice to a
-- member's linked chat); the status answer as an email kind.
-- Kept in step with migrations/postgres/0006_inbound_mail.sql.
--
-- SQLite cannot change a CHECK or a NOT NULL in place: jobs, email_log and
-- escalations are rebuilt. That needs foreign keys off, which SQLite only
-- allows outside a transaction, hence `no-transaction` and our own BEGIN/COMMIT.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE jobs_new (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('email', 'chat_message')),
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

CREATE TABLE email_log_new (
    id          INTEGER PRIMARY KEY,
    address_key TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('rejection', 'resubmission_received', 'approved', 'reward_sent',
                                              'reply_unusable', 'link_code', 'status_answer')),
    scope       TEXT NOT NULL,
    job_id      INTEGER REFERENCES jobs (id),
    message_id  TEXT NOT NULL,
    reply_address TEXT,
    redemption_id INTEGER REFERENCES redemptions (id),
    subject     TEXT NOT NULL,
    queued_at   TEXT NOT NULL
);
INSERT INTO email_log_new SELECT id, address_key, kind, scope, job_id, message_id, reply_address, redemption_id,
    subject, queued_at FROM email_log;
DROP TABLE email_log;
ALTER TABLE email_log_new RENAME TO email_log;
CREATE INDEX email_log_guard ON email_log (address_key, kind, scope, queued_at);
CREATE INDEX email_log_by_redemption ON email_log (redemption_id);

CREATE TABLE inbound_mail (
    id              INTEGER PRIMARY KEY,
    -- 'mid:<Message-ID>' or, for a message without one, 'sha256:<hash of the raw bytes>'.
    dedup_key       TEXT NOT NULL UNIQUE,
    message_id      TEXT,
    raw_sha256      TEXT NOT NULL,
    -- The raw message in the blob store (kept for staff and for replays).
    raw_blob_key    TEXT,
    from_address    TEXT,
    subject         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('reply', 'auto_reply', 'bounce', 'list', 'unmatched', 'malformed')),
    matched_by      TEXT CHECK (matched_by IN ('token', 'in_reply_to', 'subject_tag', 'sender')),
    redemption_id   INTEGER REFERENCES redemptions (id),
    sender_mismatch INTEGER NOT NULL DEFAULT 0,
    action          TEXT NOT NULL CHECK (action IN ('resubmitted', 'answered_status', 'asked_for_attachment', 'ignored',
                                                    'bounce_recorded', 'quarantined', 'escalated')),
    -- The JSON line `mail ingest` printed for it.
    report          TEXT NOT NULL,
    received_at     TEXT NOT NULL
);
CREATE INDEX inbound_mail_by_redemption ON inbound_mail (redemption_id);

CREATE TABLE escalations_new (
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL DEFAULT 'chat' CHECK (source IN ('chat', 'email')),
    chat_user_id    INTEGER REFERENCES chat_users (id),
    member_id       INTEGER REFERENCES members (id),
    redemption_id   INTEGER REFERENCES redemptions (id),
    inbound_mail_id INTEGER REFERENCES inbound_mail (id),
    -- What the customer wrote (may be empty), or why the email needs a person.
    message         TEXT NOT NULL,
    locale          TEXT NOT NULL CHECK (locale IN ('id', 'en')),
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
    created_at      TEXT NOT NULL,
    CHECK ((source = 'chat') = (chat_user_id IS NOT NULL)),
    CHECK ((source = 'email') = (inbound_mail_id IS NOT NULL))
);
INSERT INTO escalations_new (id, source, chat_user_id, message, locale, status, created_at)
    SELECT id, 'chat', chat_user_id, message, locale, status, created_at FROM escalations;
DROP TABLE escalations;
ALTER TABLE escalations_new RENAME TO escalations;
CREATE INDEX escalations_open ON escalations (status, created_at);

-- The original of an attachment we converted or downscaled for review (an
-- iPhone HEIC, a photo wider than 1600 px): kept, never shown by default.
CREATE TABLE attachment_originals (
    attachment_id INTEGER PRIMARY KEY REFERENCES attachments (id),
    content_type  TEXT NOT NULL,
    bytes         INTEGER NOT NULL CHECK (bytes >= 0),
    sha256        TEXT NOT NULL,
    blob_key      TEXT NOT NULL
);

COMMIT;
PRAGMA foreign_keys = ON;
