-- Each vote on a legal request is sealed: an HMAC-SHA256 under LEDGER_KEY (`seal_key_id` names
-- the key) over the request as the officer decided on it (moderation/legal/vote_seals.py). A
-- disclosure counts only approvals whose seal verifies against the request as it stands, and
-- its ledger entry records the seals it counted (`votes`, canonical JSON covered by the entry's
-- keyed hash; NULL in entries from before, which keep hashing as they did). Votes from before
-- this migration have no seal: they do not count, and are voided at the next step on their
-- request (kept, with the reason), so an approved request goes back under analysis.
ALTER TABLE legal_approvals ADD COLUMN seal text;
ALTER TABLE legal_approvals ADD COLUMN seal_key_id text;
-- Text, not jsonb: the entry's hash is over the text exactly as written.
ALTER TABLE disclosure_ledger ADD COLUMN votes text;

-- The seal is part of the vote: only a void may still be written onto one.
DROP TRIGGER legal_approvals_only_void ON legal_approvals;
CREATE TRIGGER legal_approvals_only_void
BEFORE UPDATE OF id, request_id, officer_id, decision, reason, decided_at, seal, seal_key_id
ON legal_approvals
FOR EACH ROW EXECUTE FUNCTION refuse_change('a legal approval can only be voided');
