-- Failed ownership checks of all users in a window: the global throttle on
-- serial/CHK probing reads them by time.
CREATE INDEX ownership_failures_by_time ON ownership_failures (at);

-- Messages a chat user sent in the current minute: the per-user flood limit.
ALTER TABLE chat_users ADD COLUMN burst_start TIMESTAMPTZ;
ALTER TABLE chat_users ADD COLUMN burst_count INTEGER NOT NULL DEFAULT 0;
