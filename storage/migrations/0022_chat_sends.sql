-- The review group's message budget (about 20 posts and edits a minute, Telegram's limit for a
-- bot in one group), kept in the database so that every instance sharing it spends from one
-- account: a row per message sent in the last minute (sent_ms, the bot's clock in
-- milliseconds), and a pause after Telegram answered 429 (until_ms).
CREATE TABLE chat_sends (
    id      INTEGER PRIMARY KEY,
    budget  TEXT NOT NULL,
    sent_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX chat_sends_window ON chat_sends (budget, sent_ms);

CREATE TABLE chat_pauses (
    budget   TEXT PRIMARY KEY,
    until_ms INTEGER NOT NULL
) STRICT;
