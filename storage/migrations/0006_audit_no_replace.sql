-- REPLACE INTO deletes the old row without firing DELETE triggers: refuse inserts that reuse
-- an existing id, so the audit log stays append-only against REPLACE too.
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
