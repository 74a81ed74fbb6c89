-- An approval is given to a request as it stands: a change to its analysis, an override, or
-- the approver losing the legal role voids it (kept, with when and why, for the record). An
-- officer may approve again after a change, so the one-vote-per-officer rule now holds for
-- live votes only.
CREATE TABLE legal_approvals_new (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER NOT NULL REFERENCES legal_requests (id),
    officer_id    INTEGER NOT NULL,
    decision      TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    reason        TEXT,
    decided_at    TEXT NOT NULL,
    voided_at     TEXT,
    voided_reason TEXT,
    CHECK ((voided_at IS NULL) = (voided_reason IS NULL))
) STRICT;

INSERT INTO legal_approvals_new (request_id, officer_id, decision, reason, decided_at)
SELECT request_id, officer_id, decision, reason, decided_at FROM legal_approvals
ORDER BY decided_at, officer_id;

DROP TABLE legal_approvals;
ALTER TABLE legal_approvals_new RENAME TO legal_approvals;

CREATE UNIQUE INDEX legal_approvals_live ON legal_approvals (request_id, officer_id)
    WHERE voided_at IS NULL;
CREATE INDEX legal_approvals_officer ON legal_approvals (officer_id) WHERE voided_at IS NULL;

-- Votes are evidence: never deleted, and only a void may be written onto one.
CREATE TRIGGER legal_approvals_no_delete BEFORE DELETE ON legal_approvals
BEGIN
    SELECT RAISE(ABORT, 'legal approvals are kept');
END;

CREATE TRIGGER legal_approvals_only_void
BEFORE UPDATE OF id, request_id, officer_id, decision, reason, decided_at ON legal_approvals
BEGIN
    SELECT RAISE(ABORT, 'a legal approval can only be voided');
END;

CREATE TRIGGER legal_approvals_void_once BEFORE UPDATE OF voided_at, voided_reason
ON legal_approvals WHEN OLD.voided_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a voided legal approval stays voided');
END;

CREATE TRIGGER legal_approvals_no_replace BEFORE INSERT ON legal_approvals
WHEN EXISTS (SELECT 1 FROM legal_approvals WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'legal approvals are kept');
END;
