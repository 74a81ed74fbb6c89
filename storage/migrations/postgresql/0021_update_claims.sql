-- Webhook mode with several instances: any instance may take Telegram's POST, journal the
-- update and answer; the update is then handled by whichever instance claims it. chat_key
-- names the conversation whose updates must be handled in order, one at a time: an update is
-- claimed only when no earlier unreleased update of its chat is left, and released (its
-- payload and chat_key cleared) once handled. claimed_by is the instance handling it; an
-- update claimed by an instance that stopped or died is claimed again by another.
-- (PostgreSQL twin of ../0021_update_claims.sql.)
ALTER TABLE update_journal ADD COLUMN chat_key text;
ALTER TABLE update_journal ADD COLUMN claimed_by text;
ALTER TABLE update_journal ADD COLUMN claimed_at text;

CREATE INDEX update_journal_chat_order ON update_journal (chat_key, update_id)
    WHERE released_at IS NULL;
