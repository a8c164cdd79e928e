-- The outbox and outbound email: jobs to perform after a commit; the reply
-- handles rejection emails carry; what was sent to whom (loop guard); and
-- addresses we must not write to (hard bounces).
-- Kept in step with migrations/postgres/0004_outbox.sql.

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('email')),
    -- JSON, as the job's kind defines it.
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_at       TEXT NOT NULL,
    -- The claim of the worker performing it, and until when it holds.
    lease        TEXT,
    lease_until  TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    done_at      TEXT
);
CREATE INDEX jobs_due ON jobs (status, run_at);

CREATE TABLE reply_handles (
    -- Random, at least 96 bits; the `+token` in the Reply-To address.
    token         TEXT PRIMARY KEY,
    redemption_id INTEGER NOT NULL REFERENCES redemptions (id),
    member_id     INTEGER NOT NULL REFERENCES members (id),
    -- The Message-ID of the email that carried it (with angle brackets).
    message_id    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX reply_handles_by_redemption ON reply_handles (redemption_id);

CREATE TABLE email_log (
    id          INTEGER PRIMARY KEY,
    -- Lower-cased address.
    address_key TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('rejection', 'resubmission_received', 'approved', 'reward_sent', 'reply_unusable', 'link_code')),
    -- What the email is about (a redemption id), '' when about the address itself.
    scope       TEXT NOT NULL,
    job_id      INTEGER REFERENCES jobs (id),
    message_id  TEXT NOT NULL,
    -- The Reply-To handle address, for emails that carry one.
    reply_address TEXT,
    redemption_id INTEGER REFERENCES redemptions (id),
    subject     TEXT NOT NULL,
    queued_at   TEXT NOT NULL
);
CREATE INDEX email_log_guard ON email_log (address_key, kind, scope, queued_at);
CREATE INDEX email_log_by_redemption ON email_log (redemption_id);

CREATE TABLE email_suppressions (
    address_key TEXT PRIMARY KEY,
    reason      TEXT NOT NULL CHECK (reason IN ('hard_bounce')),
    detail      TEXT,
    at          TEXT NOT NULL
);
