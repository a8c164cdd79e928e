-- What the invoice pre-check read from an attached file: its findings as JSON
-- (precheck::InvoiceFindings), shown to reviewers beside the file, and the
-- invoice number folded for finding the same invoice on another claim.
CREATE TABLE invoice_findings (
    attachment_id      INTEGER PRIMARY KEY REFERENCES attachments (id),
    findings           TEXT NOT NULL,
    invoice_number_key TEXT,
    checked_at         TEXT NOT NULL
);
CREATE INDEX invoice_findings_by_number ON invoice_findings (invoice_number_key)
    WHERE invoice_number_key IS NOT NULL;

-- The same file on another member's claim: attachments by content.
CREATE INDEX attachments_by_sha256 ON attachments (sha256);

-- An emailed resubmission the pre-check held back: the customer was asked to
-- confirm it as it is or send another file. The email's files are read again
-- from its raw message (`inbound_mail.raw_blob_key`) when they confirm.
CREATE TABLE precheck_holds (
    id              INTEGER PRIMARY KEY,
    redemption_id   INTEGER NOT NULL REFERENCES redemptions (id),
    inbound_mail_id INTEGER NOT NULL REFERENCES inbound_mail (id),
    assessment      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    -- When it was confirmed, replaced by another file, or the claim moved on.
    closed_at       TEXT
);
CREATE INDEX precheck_holds_open ON precheck_holds (redemption_id) WHERE closed_at IS NULL;
