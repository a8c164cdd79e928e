-- Linking a chat account to a member: one-time codes sent by email, and the
-- links they made (a linked chat user sees the member's claims without CHK).
-- Kept in step with migrations/postgres/0005_account_links.sql.

CREATE TABLE link_codes (
    id           INTEGER PRIMARY KEY,
    chat_user_id INTEGER NOT NULL REFERENCES chat_users (id),
    member_id    INTEGER NOT NULL REFERENCES members (id),
    -- SHA-256 of the chat user's id and the code; the code itself is only in the email.
    code_hash    TEXT NOT NULL,
    tries        INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    -- Set when the code was used or replaced by a newer one.
    closed_at    TEXT
);
CREATE INDEX link_codes_by_user ON link_codes (chat_user_id, id);

CREATE TABLE chat_links (
    chat_user_id INTEGER NOT NULL REFERENCES chat_users (id),
    member_id    INTEGER NOT NULL REFERENCES members (id),
    linked_at    TEXT NOT NULL,
    PRIMARY KEY (chat_user_id, member_id)
);
