-- A reply handle redeems once: when the claim it names is resubmitted (by any
-- route) or decided, every handle of that claim is spent. A spent handle
-- matches nothing, so an old or leaked token can never attach a file again.
ALTER TABLE reply_handles ADD COLUMN spent_at TEXT;

-- A bounce acts only when it returns an email we sent: looked up by Message-ID.
CREATE INDEX email_log_by_message_id ON email_log (message_id);

-- Emails escalated to staff in the last hour, per sender and in all: the
-- limit that keeps a mail flood out of the staff channels.
CREATE INDEX inbound_mail_escalated ON inbound_mail (received_at) WHERE action = 'escalated';
