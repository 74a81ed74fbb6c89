-- People who talked to the bot (their language, for later notifications) and small
-- key/value state the bot keeps across restarts.
CREATE TABLE users (
    user_id       INTEGER PRIMARY KEY,
    language_code TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
) STRICT;

CREATE TABLE bot_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
