-- The moderators' console (a Telegram Mini App the bot serves, issue 30). Any instance serves
-- any moderator, so what a session needs lives here: the sessions (only the sha256 of each
-- token, never the token), the init data that opened one (by its hash: each opens at most one
-- session; kept until it would be too old anyway), and who is viewing which case (a view
-- counts for a minute; the page refreshes while a case is open).
-- (PostgreSQL twin of ../0029_console.sql.)
CREATE TABLE console_sessions (
    token_hash text PRIMARY KEY,
    user_id    bigint NOT NULL,
    name       text NOT NULL,
    language   text NOT NULL,
    created_at text NOT NULL,
    expires_at text NOT NULL
);

CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

CREATE TABLE console_init_data (
    hash       text PRIMARY KEY,
    user_id    bigint NOT NULL,
    used_at    text NOT NULL,
    keep_until text NOT NULL
);

CREATE INDEX console_init_data_expiry ON console_init_data (keep_until);

CREATE TABLE console_viewers (
    case_id bigint NOT NULL REFERENCES cases (id),
    user_id bigint NOT NULL,
    name    text NOT NULL,
    seen_at text NOT NULL,
    PRIMARY KEY (case_id, user_id)
);

CREATE INDEX console_viewers_seen ON console_viewers (seen_at);
