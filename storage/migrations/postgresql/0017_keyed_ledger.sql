-- The disclosure ledger becomes a keyed chain (HMAC-SHA256 under LEDGER_KEY, `key_id` names
-- the key; entries from before keep their unkeyed SHA-256 and key_id NULL) and records every
-- time a phone or IP left the registry: the disclosure itself and each copy sent again. Each
-- entry also records the request's period and who received it, so `ledger verify` can compare
-- them with the disclosed content. (SQLite rebuilds the table because a request may now have
-- several entries; here the one-entry-per-request constraint is dropped and columns added.)
ALTER TABLE disclosure_ledger DROP CONSTRAINT disclosure_ledger_request_id_key;
ALTER TABLE disclosure_ledger ADD COLUMN kind text NOT NULL DEFAULT 'disclosure'
    CHECK (kind IN ('disclosure', 'copy'));
ALTER TABLE disclosure_ledger ALTER COLUMN kind DROP DEFAULT;
ALTER TABLE disclosure_ledger ADD COLUMN period_start text;
ALTER TABLE disclosure_ledger ADD COLUMN period_end text;
ALTER TABLE disclosure_ledger ADD COLUMN disclosed_to bigint;
ALTER TABLE disclosure_ledger ADD COLUMN key_id text;
ALTER TABLE disclosure_ledger ADD CHECK ((key_id IS NULL) = (period_start IS NULL));
ALTER TABLE disclosure_ledger ADD CHECK ((key_id IS NULL) = (disclosed_to IS NULL));

CREATE UNIQUE INDEX disclosure_ledger_one_disclosure ON disclosure_ledger (request_id)
    WHERE kind = 'disclosure';

-- An insert reusing a sequence number or hash is a rewrite, and an entry goes only at the end
-- of the chain. (A trigger's WHEN cannot hold a subquery here, so the test is in the function.)
CREATE FUNCTION disclosure_ledger_no_replace() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM disclosure_ledger WHERE seq = NEW.seq OR entry_hash = NEW.entry_hash
    ) OR NEW.seq IS DISTINCT FROM (SELECT coalesce(max(seq), 0) + 1 FROM disclosure_ledger) THEN
        RAISE EXCEPTION 'the disclosure ledger is append-only'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER disclosure_ledger_no_replace BEFORE INSERT ON disclosure_ledger
FOR EACH ROW EXECUTE FUNCTION disclosure_ledger_no_replace();

-- A kept disclosure is never replaced or rewritten; only re-encryption touches its ciphertext.
CREATE FUNCTION disclosures_no_replace() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM disclosures WHERE request_id = NEW.request_id) THEN
        RAISE EXCEPTION 'disclosures are kept' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER disclosures_no_replace BEFORE INSERT ON disclosures
FOR EACH ROW EXECUTE FUNCTION disclosures_no_replace();

CREATE TRIGGER disclosures_only_reseal
BEFORE UPDATE OF request_id, content_sha256, phones, ips, disclosed_to, disclosed_at
ON disclosures
FOR EACH ROW EXECUTE FUNCTION refuse_change('disclosures are kept');

-- The metadata timeline against rewrites by insert, like the audit log.
CREATE FUNCTION observations_no_replace() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM observations WHERE id = NEW.id) THEN
        RAISE EXCEPTION 'observations are append-only; record a correction instead'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER observations_no_replace BEFORE INSERT ON observations
FOR EACH ROW EXECUTE FUNCTION observations_no_replace();
