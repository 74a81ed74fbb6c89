-- Legal requests: court orders and the like, their legal analysis, four-eyes approvals, the
-- disclosures made and the tamper-evident ledger the transparency report is counted from.
CREATE TABLE legal_requests (
    id             INTEGER PRIMARY KEY,
    authority      TEXT NOT NULL,
    country        TEXT NOT NULL CHECK (length(country) = 2 AND country = upper(country)),
    reference      TEXT NOT NULL,
    order_type     TEXT NOT NULL CHECK (order_type IN
        ('court_order', 'judicial_warrant', 'subpoena', 'emergency', 'other')),
    issued_on      TEXT NOT NULL,            -- ISO date
    offence        TEXT NOT NULL,
    -- The target as the order names it; a phone or IP is kept only encrypted + blind index.
    target_kind    TEXT NOT NULL CHECK (target_kind IN ('username', 'telegram_id', 'phone', 'ip')),
    target_value   TEXT,
    target_cipher  BLOB,
    target_key_id  TEXT,
    target_blind   BLOB,
    period_start   TEXT NOT NULL,            -- ISO date, inclusive
    period_end     TEXT NOT NULL,            -- ISO date, inclusive
    state          TEXT NOT NULL DEFAULT 'received' CHECK (state IN
        ('received', 'under_analysis', 'approved', 'rejected', 'disclosed', 'closed')),
    violator_id    INTEGER REFERENCES violators (id),
    checks         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(checks)),
    analysis       TEXT,
    analysis_by    INTEGER,
    analysis_at    TEXT,
    override_reason TEXT,
    override_by    INTEGER,
    override_at    TEXT,
    registered_by  INTEGER NOT NULL,
    registered_at  TEXT NOT NULL,
    rejected_reason TEXT,
    rejected_by    INTEGER,
    rejected_at    TEXT,
    closed_by      INTEGER,
    closed_at      TEXT,
    UNIQUE (country, authority, reference),
    CHECK ((target_kind IN ('phone', 'ip')) = (target_cipher IS NOT NULL)),
    CHECK ((target_cipher IS NULL) = (target_value IS NOT NULL))
) STRICT;

CREATE INDEX legal_requests_state ON legal_requests (state, id);
CREATE INDEX legal_requests_registered ON legal_requests (registered_at);
CREATE INDEX legal_requests_rejected ON legal_requests (rejected_at) WHERE rejected_at IS NOT NULL;
CREATE INDEX legal_requests_violator ON legal_requests (violator_id, state);

-- The order document as the officer sent it, with its SHA-256.
CREATE TABLE legal_documents (
    request_id  INTEGER PRIMARY KEY REFERENCES legal_requests (id),
    file_name   TEXT NOT NULL,
    mime_type   TEXT,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    content     BLOB NOT NULL,
    telegram_file_id TEXT,
    stored_at   TEXT NOT NULL
) STRICT;

-- One vote per officer per request; approvals are counted, a rejection ends the request.
CREATE TABLE legal_approvals (
    request_id INTEGER NOT NULL REFERENCES legal_requests (id),
    officer_id INTEGER NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    reason     TEXT,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (request_id, officer_id)
) STRICT;

-- What was disclosed, kept retrievable; the content holds personal data, so only encrypted.
CREATE TABLE disclosures (
    request_id   INTEGER PRIMARY KEY REFERENCES legal_requests (id),
    ciphertext   BLOB NOT NULL,
    key_id       TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    phones       INTEGER NOT NULL,
    ips          INTEGER NOT NULL,
    disclosed_to INTEGER NOT NULL,
    disclosed_at TEXT NOT NULL
) STRICT;

-- The tamper-evident ledger: each entry hashes the previous entry and the disclosed content.
CREATE TABLE disclosure_ledger (
    seq            INTEGER PRIMARY KEY,
    request_id     INTEGER NOT NULL UNIQUE REFERENCES legal_requests (id),
    violator_id    INTEGER NOT NULL,
    country        TEXT NOT NULL,
    disclosed_at   TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    entry_hash     TEXT NOT NULL UNIQUE
) STRICT;

CREATE INDEX disclosure_ledger_time ON disclosure_ledger (disclosed_at);

CREATE TRIGGER disclosure_ledger_no_update BEFORE UPDATE ON disclosure_ledger
BEGIN
    SELECT RAISE(ABORT, 'the disclosure ledger is append-only');
END;

CREATE TRIGGER disclosure_ledger_no_delete BEFORE DELETE ON disclosure_ledger
BEGIN
    SELECT RAISE(ABORT, 'the disclosure ledger is append-only');
END;

CREATE TRIGGER disclosures_no_delete BEFORE DELETE ON disclosures
BEGIN
    SELECT RAISE(ABORT, 'disclosures are kept');
END;
