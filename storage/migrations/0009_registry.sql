-- Registry: every case that confirmed a violator, the violator's metadata timeline (personal
-- data encrypted, with a blind index for exact lookups) and its legal hold.
ALTER TABLE violators ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0
    CHECK (legal_hold IN (0, 1));
ALTER TABLE violators ADD COLUMN last_confirmed_at TEXT;
UPDATE violators SET last_confirmed_at = confirmed_at;

-- A later case on the same target links to the same violator.
CREATE TABLE violator_cases (
    violator_id  INTEGER NOT NULL REFERENCES violators (id),
    case_id      INTEGER NOT NULL UNIQUE REFERENCES cases (id),
    category     TEXT NOT NULL,
    confirmed_by INTEGER NOT NULL,
    confirmed_at TEXT NOT NULL,
    PRIMARY KEY (violator_id, case_id)
) STRICT;

INSERT INTO violator_cases (violator_id, case_id, category, confirmed_by, confirmed_at)
SELECT id, case_id, category, confirmed_by, confirmed_at FROM violators;

-- Append-only timeline: a correction is a new observation. Phone numbers and IP addresses are
-- stored only encrypted (ciphertext + key_id) with an HMAC blind index; other kinds in clear.
-- `dedupe` (an HMAC over violator, kind, value, time, source) makes re-imports add nothing.
CREATE TABLE observations (
    id          INTEGER PRIMARY KEY,
    violator_id INTEGER NOT NULL REFERENCES violators (id),
    kind        TEXT NOT NULL
        CHECK (kind IN ('username', 'display_name', 'phone', 'ip', 'device', 'app')),
    value       TEXT,
    ciphertext  BLOB,
    key_id      TEXT,
    blind_index BLOB,
    observed_at TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('bot', 'import', 'legal')),
    recorded_at TEXT NOT NULL,
    dedupe      BLOB NOT NULL UNIQUE,
    CHECK ((kind IN ('phone', 'ip')) = (ciphertext IS NOT NULL)),
    CHECK ((ciphertext IS NULL) = (value IS NOT NULL)),
    CHECK ((ciphertext IS NULL) = (key_id IS NULL)),
    CHECK ((ciphertext IS NULL) = (blind_index IS NULL))
) STRICT;

CREATE INDEX observations_violator ON observations (violator_id, observed_at);
CREATE INDEX observations_blind ON observations (blind_index) WHERE blind_index IS NOT NULL;
CREATE INDEX observations_username ON observations (lower(value)) WHERE kind = 'username';
CREATE INDEX observations_key ON observations (key_id) WHERE key_id IS NOT NULL;

-- What was observed never changes; only re-encryption under a new key touches a row.
CREATE TRIGGER observations_append_only
BEFORE UPDATE OF violator_id, kind, value, blind_index, observed_at, source, recorded_at, dedupe
ON observations
BEGIN
    SELECT RAISE(ABORT, 'observations are append-only; record a correction instead');
END;

CREATE INDEX violators_retention ON violators (last_confirmed_at) WHERE legal_hold = 0;
