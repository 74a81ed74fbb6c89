-- Every ciphertext is bound to its row: the AES-GCM associated data names the row (violator,
-- kind, observed time and id for an observation; the request for a disclosure, a target or a
-- document; the update for a journaled update), so a ciphertext copied into another row does
-- not open. Rows sealed before this migration were bound to their kind only: they are listed
-- here, opened the old way once and re-sealed bound by the bot (at start-up, `report-bot
-- migrate` or `keys rotate`), then taken off the list. Nothing can be added to the list later,
-- so a ciphertext moved into a new row is never opened the old way.
CREATE TABLE sealed_before_binding (
    table_name text NOT NULL CHECK (table_name IN
        ('observations', 'disclosures', 'legal_requests', 'legal_documents', 'update_journal')),
    row_id     bigint NOT NULL,
    PRIMARY KEY (table_name, row_id)
);

INSERT INTO sealed_before_binding (table_name, row_id)
SELECT 'observations', id FROM observations WHERE ciphertext IS NOT NULL;
INSERT INTO sealed_before_binding (table_name, row_id)
SELECT 'disclosures', request_id FROM disclosures;
INSERT INTO sealed_before_binding (table_name, row_id)
SELECT 'legal_requests', id FROM legal_requests WHERE target_cipher IS NOT NULL;
INSERT INTO sealed_before_binding (table_name, row_id)
SELECT 'legal_documents', request_id FROM legal_documents;
INSERT INTO sealed_before_binding (table_name, row_id)
SELECT 'update_journal', update_id FROM update_journal
WHERE payload IS NOT NULL AND key_id IS NOT NULL;

CREATE TRIGGER sealed_before_binding_closed BEFORE INSERT ON sealed_before_binding
FOR EACH ROW EXECUTE FUNCTION
    refuse_change('only rows sealed before migration 0018 are on this list');

-- Order documents are kept encrypted too (key_id NULL: stored in clear before this migration).
ALTER TABLE legal_documents ADD COLUMN key_id text;

-- The blind indexes (and the observations' dedupe keys, HMACs under the same key) name the
-- BLIND_INDEX_KEY they were made with, so that key can be rotated. Until now there was one,
-- whose id is b1.
ALTER TABLE observations ADD COLUMN blind_key_id text NOT NULL DEFAULT 'b1';
ALTER TABLE legal_requests ADD COLUMN target_blind_key_id text;
UPDATE legal_requests SET target_blind_key_id = 'b1' WHERE target_blind IS NOT NULL;
CREATE INDEX observations_blind_key ON observations (blind_key_id);

-- What was observed never changes; re-encryption and, with a new index key, re-indexing are
-- the only updates.
DROP TRIGGER observations_append_only ON observations;
CREATE TRIGGER observations_append_only
BEFORE UPDATE OF id, violator_id, kind, value, observed_at, source, recorded_at ON observations
FOR EACH ROW EXECUTE FUNCTION
    refuse_change('observations are append-only; record a correction instead');
CREATE TRIGGER observations_reindexed_with_a_new_key
BEFORE UPDATE OF blind_index, dedupe ON observations
FOR EACH ROW WHEN (NEW.blind_key_id IS NOT DISTINCT FROM OLD.blind_key_id)
EXECUTE FUNCTION refuse_change('observations are append-only; record a correction instead');

-- Legal drafts were kept as clear JSON (a phone typed as the target sat there); they are now
-- encrypted and expire. A draft in the old form is dropped: its officer starts again.
DELETE FROM bot_state WHERE key LIKE 'legal\_draft:%' ESCAPE '\';
