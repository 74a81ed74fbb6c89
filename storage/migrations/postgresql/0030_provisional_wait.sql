-- Provisional hiding after a wait (PROVISIONAL_HIDE_AFTER_MINUTES): when a pending case's
-- trusted reporters qualify before the case has waited that long since it opened, the time the
-- hiding falls due is kept here, and the leading instance's job hides the target then unless a
-- decision came first. NULL: not waiting for a provisional hiding.
-- (PostgreSQL twin of ../0030_provisional_wait.sql.)
ALTER TABLE cases ADD COLUMN provisional_due_at text;

CREATE INDEX cases_provisional_due ON cases (provisional_due_at, id)
    WHERE provisional_due_at IS NOT NULL;
