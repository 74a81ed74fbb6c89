-- People who talked to the bot (their language, for later notifications) and small
-- key/value state the bot keeps across restarts. (PostgreSQL twin of ../0001_initial.sql:
-- INTEGER is bigint, as SQLite's integers are 64-bit; times stay fixed-width ISO text.)
CREATE TABLE users (
    user_id       bigint PRIMARY KEY,
    language_code text,
    first_seen_at text NOT NULL,
    last_seen_at  text NOT NULL
);

CREATE TABLE bot_state (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at text NOT NULL
);
