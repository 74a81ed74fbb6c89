-- Updates taken from Telegram, kept before Telegram is told they arrived: python-telegram-bot
-- confirms a batch (the next getUpdates offset) while its updates are still being handled, so
-- a crash in between would lose them. Each row is written as the batch arrives and released
-- (payload cleared) once handled; rows still holding a payload are handled again on the next
-- start. Released rows stay a day as tombstones so Telegram's redelivery of an update already
-- handled is recognised. The payload is encrypted when an ENCRYPTION_KEY is set (key_id names
-- the key), since messages may carry personal data.
CREATE TABLE update_journal (
    update_id   bigint PRIMARY KEY,
    key_id      text,
    payload     bytea,
    received_at text NOT NULL,
    released_at text
);

CREATE INDEX update_journal_unreleased ON update_journal (update_id) WHERE released_at IS NULL;
CREATE INDEX update_journal_released ON update_journal (released_at) WHERE released_at IS NOT NULL;
