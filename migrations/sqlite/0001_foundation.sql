-- Foundation schema: catalog, promotions, members, products, redemptions and their history.
-- Kept in step with migrations/postgres/0001_foundation.sql (same version, same meaning).

CREATE TABLE categories (
    code    TEXT PRIMARY KEY,
    name_id TEXT NOT NULL,
    name_en TEXT NOT NULL
);

-- The guide's category codes. Data, not code: new ones arrive by import.
INSERT INTO categories (code, name_id, name_en) VALUES
    ('AIO', 'PC All-in-One', 'All-in-One PC'),
    ('PRO DT', 'Desktop bisnis / Mini PC', 'Business desktop / Mini PC'),
    ('MB', 'Motherboard', 'Motherboard'),
    ('PLC', 'Power supply, casing & pendingin', 'Power supplies, cases & cooling'),
    ('Desktop', 'PC Desktop', 'Desktop PC'),
    ('Monitor', 'Monitor', 'Monitor'),
    ('VGA', 'Kartu grafis', 'Graphics card'),
    ('SSD', 'SSD', 'SSD'),
    ('PBM', 'Barebone & PC rakitan', 'Barebones & PC builds'),
    ('Gaming Gear', 'Perlengkapan gaming', 'Gaming gear');

CREATE TABLE promotions (
    id             TEXT PRIMARY KEY,
    name_id        TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    description_id TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    starts_on      TEXT NOT NULL,
    ends_on        TEXT NOT NULL,
    claim_deadline TEXT NOT NULL,
    CHECK (ends_on >= starts_on),
    CHECK (claim_deadline >= starts_on)
);

CREATE TABLE promotion_categories (
    promotion_id TEXT NOT NULL REFERENCES promotions (id) ON DELETE CASCADE,
    category     TEXT NOT NULL REFERENCES categories (code),
    PRIMARY KEY (promotion_id, category)
);

CREATE TABLE promotion_regions (
    promotion_id TEXT NOT NULL REFERENCES promotions (id) ON DELETE CASCADE,
    region       TEXT NOT NULL,
    PRIMARY KEY (promotion_id, region)
);

CREATE TABLE promotion_rewards (
    promotion_id TEXT NOT NULL REFERENCES promotions (id) ON DELETE CASCADE,
    category     TEXT NOT NULL REFERENCES categories (code),
    kind         TEXT NOT NULL CHECK (kind IN ('digital_code', 'physical_gift')),
    amount_idr   INTEGER,
    gift_id      TEXT,
    gift_en      TEXT,
    PRIMARY KEY (promotion_id, category),
    CHECK ((kind = 'digital_code' AND amount_idr > 0 AND gift_id IS NULL)
        OR (kind = 'physical_gift' AND amount_idr IS NULL AND gift_id IS NOT NULL AND gift_en IS NOT NULL))
);

CREATE TABLE partner_stores (
    promotion_id TEXT NOT NULL REFERENCES promotions (id) ON DELETE CASCADE,
    region       TEXT NOT NULL,
    store        TEXT NOT NULL,
    PRIMARY KEY (promotion_id, region, store)
);

CREATE TABLE members (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL,
    email_key  TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    locale     TEXT NOT NULL CHECK (locale IN ('id', 'en')),
    region     TEXT NOT NULL,
    phone      TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    serial       TEXT NOT NULL UNIQUE,
    serial_key   TEXT NOT NULL,
    chk          TEXT NOT NULL CHECK (length(chk) = 3 AND chk NOT GLOB '*[^0-9]*'),
    member_id    INTEGER NOT NULL REFERENCES members (id),
    category     TEXT NOT NULL REFERENCES categories (code),
    model        TEXT NOT NULL,
    purchased_on TEXT NOT NULL,
    region       TEXT NOT NULL,
    store        TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel IN ('retail', 'online', 'reseller')),
    created_at   TEXT NOT NULL
);
CREATE INDEX products_by_serial_key ON products (serial_key);
CREATE INDEX products_by_member ON products (member_id);

CREATE TABLE redemptions (
    id                INTEGER PRIMARY KEY,
    product_id        INTEGER NOT NULL REFERENCES products (id),
    member_id         INTEGER NOT NULL REFERENCES members (id),
    promotion_id      TEXT NOT NULL REFERENCES promotions (id),
    status            TEXT NOT NULL CHECK (status IN ('under_review', 'rejected', 'approved', 'reward_sent')),
    last_reason       TEXT CHECK (last_reason IN (
                          'invoice_missing_product_name', 'invoice_unreadable', 'invoice_outside_period',
                          'invoice_missing_store_or_number', 'serial_photo_missing', 'serial_photo_packaging',
                          'serial_chk_mismatch', 'model_not_eligible', 'region_not_eligible',
                          'store_not_partner', 'duplicate_claim')),
    last_note         TEXT,
    submitted_at      TEXT NOT NULL,
    queued_at         TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    recipient_name    TEXT,
    recipient_address TEXT,
    recipient_zip     TEXT,
    recipient_phone   TEXT,
    -- One claim per product and promotion: a second one is a duplicate claim.
    UNIQUE (product_id, promotion_id),
    CHECK (status <> 'rejected' OR last_reason IS NOT NULL)
);
CREATE INDEX redemptions_queue ON redemptions (status, queued_at, id);
CREATE INDEX redemptions_by_member ON redemptions (member_id);
CREATE INDEX redemptions_by_product ON redemptions (product_id);

CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    redemption_id INTEGER NOT NULL REFERENCES redemptions (id),
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    bytes         INTEGER NOT NULL CHECK (bytes >= 0),
    sha256        TEXT NOT NULL,
    width         INTEGER,
    height        INTEGER,
    -- Where the file lives in the blob store; NULL when only its description was imported.
    blob_key      TEXT,
    source        TEXT NOT NULL CHECK (source IN ('email', 'chat', 'import', 'member_center')),
    created_at    TEXT NOT NULL
);
CREATE INDEX attachments_by_redemption ON attachments (redemption_id);

CREATE TABLE redemption_events (
    id             INTEGER PRIMARY KEY,
    redemption_id  INTEGER NOT NULL REFERENCES redemptions (id),
    at             TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('submitted', 'rejected', 'resubmitted', 'approved', 'reward_sent')),
    actor          TEXT NOT NULL CHECK (actor IN ('customer', 'system', 'import') OR actor LIKE 'staff:_%'),
    reason         TEXT CHECK (reason IN (
                       'invoice_missing_product_name', 'invoice_unreadable', 'invoice_outside_period',
                       'invoice_missing_store_or_number', 'serial_photo_missing', 'serial_photo_packaging',
                       'serial_chk_mismatch', 'model_not_eligible', 'region_not_eligible',
                       'store_not_partner', 'duplicate_claim')),
    note           TEXT,
    -- JSON array of attachment ids, for resubmissions.
    attachment_ids TEXT NOT NULL DEFAULT '[]',
    CHECK ((kind = 'rejected') = (reason IS NOT NULL))
);
CREATE INDEX redemption_events_by_redemption ON redemption_events (redemption_id, id);
