-- Update ids are numbered per bot: a database moved to another bot (a new token) sees that
-- bot's first updates arrive with ids the old bot already used, and keyed by update_id alone
-- the redelivery marks and the journal's tombstones silently dropped them. Both tables are
-- keyed by the bot as well: bot_id is the token's number before the colon (never the token).
-- Rows from before this migration belong to a bot whose id was never recorded: they get the
-- sentinel 0, which no bot has, so they never match a bot's update. They are a day's
-- tombstones and marks at most, forgotten as usual; an update a crashed run left unhandled
-- here is not replayed (stop the bot cleanly before upgrading: a clean stop leaves none).
-- Reports and appeals name the update that filed them, to recognise Telegram's redelivery of
-- it: they name its bot too, or a new bot's report would be taken for the old bot's.
CREATE TABLE processed_updates_by_bot (
    update_id    INTEGER NOT NULL,
    processed_at TEXT NOT NULL,
    bot_id       INTEGER NOT NULL,
    PRIMARY KEY (bot_id, update_id)
) STRICT;
INSERT INTO processed_updates_by_bot (update_id, processed_at, bot_id)
SELECT update_id, processed_at, 0 FROM processed_updates;
DROP TABLE processed_updates;
ALTER TABLE processed_updates_by_bot RENAME TO processed_updates;
CREATE INDEX processed_updates_at ON processed_updates (processed_at);

CREATE TABLE update_journal_by_bot (
    update_id   INTEGER NOT NULL,
    key_id      TEXT,
    payload     BLOB,
    received_at TEXT NOT NULL,
    released_at TEXT,
    chat_key    TEXT,
    claimed_by  TEXT,
    claimed_at  TEXT,
    bot_id      INTEGER NOT NULL,
    PRIMARY KEY (bot_id, update_id)
) STRICT;
INSERT INTO update_journal_by_bot (
    update_id, key_id, payload, received_at, released_at, chat_key, claimed_by, claimed_at,
    bot_id
)
SELECT update_id, key_id, payload, received_at, released_at, chat_key, claimed_by, claimed_at, 0
FROM update_journal;
DROP TABLE update_journal;
ALTER TABLE update_journal_by_bot RENAME TO update_journal;
CREATE INDEX update_journal_unreleased ON update_journal (bot_id, update_id)
    WHERE released_at IS NULL;
CREATE INDEX update_journal_released ON update_journal (released_at)
    WHERE released_at IS NOT NULL;
CREATE INDEX update_journal_chat_order ON update_journal (bot_id, chat_key, update_id)
    WHERE released_at IS NULL;

ALTER TABLE reports ADD COLUMN bot_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE appeals ADD COLUMN bot_id INTEGER NOT NULL DEFAULT 0;
