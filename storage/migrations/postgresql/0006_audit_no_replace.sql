-- An insert that reuses an existing id is refused as a rewrite of the log, with the
-- append-only message (SQLite needs this against REPLACE INTO; on PostgreSQL it keeps the
-- same refusal and the same meaning). A trigger's WHEN cannot hold a subquery here, so the
-- test is in the function.
CREATE FUNCTION audit_log_no_replace() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) THEN
        RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_no_replace();
