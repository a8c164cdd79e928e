-- Who is deciding a queued claim right now: a reviewer claims it for a while
-- (a lease), so two reviewers never decide the same claim; an expired lease is
-- free for anyone. A decision ends the lease.
-- Kept in step with migrations/sqlite/0007_review_leases.sql.

CREATE TABLE review_leases (
    redemption_id BIGINT PRIMARY KEY REFERENCES redemptions (id),
    reviewer      TEXT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
