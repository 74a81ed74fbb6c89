-- The disclosure ledger becomes a keyed chain (HMAC-SHA256 under LEDGER_KEY, `key_id` names
-- the key; entries from before keep their unkeyed SHA-256 and key_id NULL) and records every
-- time a phone or IP left the registry: the disclosure itself and each copy sent again. Each
-- entry also records the request's period and who received it, so `ledger verify` can compare
-- them with the disclosed content. Rebuilt because a request may now have several entries.
CREATE TABLE disclosure_ledger_new (
    seq            INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('disclosure', 'copy')),
    request_id     INTEGER NOT NULL REFERENCES legal_requests (id),
    violator_id    INTEGER NOT NULL,
    country        TEXT NOT NULL,
    period_start   TEXT,
    period_end     TEXT,
    disclosed_at   TEXT NOT NULL,
    disclosed_to   INTEGER,
    content_sha256 TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    entry_hash     TEXT NOT NULL UNIQUE,
    key_id         TEXT,
    CHECK ((key_id IS NULL) = (period_start IS NULL)),
    CHECK ((key_id IS NULL) = (disclosed_to IS NULL))
) STRICT;

INSERT INTO disclosure_ledger_new (seq, kind, request_id, violator_id, country, disclosed_at,
    content_sha256, prev_hash, entry_hash)
SELECT seq, 'disclosure', request_id, violator_id, country, disclosed_at, content_sha256,
    prev_hash, entry_hash
FROM disclosure_ledger ORDER BY seq;

DROP TABLE disclosure_ledger;
ALTER TABLE disclosure_ledger_new RENAME TO disclosure_ledger;

CREATE UNIQUE INDEX disclosure_ledger_one_disclosure ON disclosure_ledger (request_id)
    WHERE kind = 'disclosure';
CREATE INDEX disclosure_ledger_time ON disclosure_ledger (disclosed_at);

CREATE TRIGGER disclosure_ledger_no_update BEFORE UPDATE ON disclosure_ledger
BEGIN
    SELECT RAISE(ABORT, 'the disclosure ledger is append-only');
END;

CREATE TRIGGER disclosure_ledger_no_delete BEFORE DELETE ON disclosure_ledger
BEGIN
    SELECT RAISE(ABORT, 'the disclosure ledger is append-only');
END;

-- REPLACE INTO deletes the old row without firing DELETE triggers; and an entry goes only at
-- the end of the chain.
CREATE TRIGGER disclosure_ledger_no_replace BEFORE INSERT ON disclosure_ledger
WHEN EXISTS (SELECT 1 FROM disclosure_ledger WHERE seq = NEW.seq OR entry_hash = NEW.entry_hash)
    OR NEW.seq <> (SELECT coalesce(max(seq), 0) + 1 FROM disclosure_ledger)
BEGIN
    SELECT RAISE(ABORT, 'the disclosure ledger is append-only');
END;

-- A kept disclosure is never replaced or rewritten; only re-encryption touches its ciphertext.
CREATE TRIGGER disclosures_no_replace BEFORE INSERT ON disclosures
WHEN EXISTS (SELECT 1 FROM disclosures WHERE request_id = NEW.request_id)
BEGIN
    SELECT RAISE(ABORT, 'disclosures are kept');
END;

CREATE TRIGGER disclosures_only_reseal
BEFORE UPDATE OF request_id, content_sha256, phones, ips, disclosed_to, disclosed_at
ON disclosures
BEGIN
    SELECT RAISE(ABORT, 'disclosures are kept');
END;

-- The metadata timeline against REPLACE INTO, like the audit log.
CREATE TRIGGER observations_no_replace BEFORE INSERT ON observations
WHEN EXISTS (SELECT 1 FROM observations WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'observations are append-only; record a correction instead');
END;
