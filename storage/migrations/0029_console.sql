-- The moderators' console (a Telegram Mini App the bot serves, issue 30). Any instance serves
-- any moderator, so what a session needs lives here: the sessions (only the sha256 of each
-- token, never the token), the init data that opened one (by its hash: each opens at most one
-- session; kept until it would be too old anyway), and who is viewing which case (a view
-- counts for a minute; the page refreshes while a case is open).
CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    language   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

CREATE TABLE console_init_data (
    hash       TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    used_at    TEXT NOT NULL,
    keep_until TEXT NOT NULL
) STRICT;

CREATE INDEX console_init_data_expiry ON console_init_data (keep_until);

CREATE TABLE console_viewers (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    user_id INTEGER NOT NULL,
    name    TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (case_id, user_id)
) STRICT;

CREATE INDEX console_viewers_seen ON console_viewers (seen_at);
