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
-- (PostgreSQL twin of ../0026_updates_by_bot.sql.)
ALTER TABLE processed_updates ADD COLUMN bot_id bigint NOT NULL DEFAULT 0;
ALTER TABLE processed_updates ALTER COLUMN bot_id DROP DEFAULT;
ALTER TABLE processed_updates DROP CONSTRAINT processed_updates_pkey;
ALTER TABLE processed_updates ADD PRIMARY KEY (bot_id, update_id);

ALTER TABLE update_journal ADD COLUMN bot_id bigint NOT NULL DEFAULT 0;
ALTER TABLE update_journal ALTER COLUMN bot_id DROP DEFAULT;
ALTER TABLE update_journal DROP CONSTRAINT update_journal_pkey;
ALTER TABLE update_journal ADD PRIMARY KEY (bot_id, update_id);
DROP INDEX update_journal_unreleased;
CREATE INDEX update_journal_unreleased ON update_journal (bot_id, update_id)
    WHERE released_at IS NULL;
DROP INDEX update_journal_chat_order;
CREATE INDEX update_journal_chat_order ON update_journal (bot_id, chat_key, update_id)
    WHERE released_at IS NULL;

ALTER TABLE reports ADD COLUMN bot_id bigint NOT NULL DEFAULT 0;
ALTER TABLE appeals ADD COLUMN bot_id bigint NOT NULL DEFAULT 0;
