-- Reporting: targets (what was reported, canonicalised), cases (one open case per target),
-- reports (everything the reporter gave us), guided-report drafts (survive restarts),
-- blocked reporters and the reporter's notification preference.
ALTER TABLE users ADD COLUMN notify_outcomes INTEGER NOT NULL DEFAULT 1
    CHECK (notify_outcomes IN (0, 1));

CREATE TABLE blocked_users (
    user_id    INTEGER PRIMARY KEY,
    blocked_by INTEGER,
    blocked_at TEXT NOT NULL,
    reason     TEXT
) STRICT;

CREATE TABLE targets (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    username    TEXT,
    chat_id     INTEGER,
    post_id     INTEGER,
    invite_hash TEXT,
    term        TEXT,
    title       TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE INDEX targets_username ON targets (username, post_id) WHERE username IS NOT NULL;
CREATE INDEX targets_chat ON targets (chat_id, post_id) WHERE chat_id IS NOT NULL;

CREATE TABLE cases (
    id         INTEGER PRIMARY KEY,
    target_id  INTEGER NOT NULL REFERENCES targets (id),
    status     TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected')),
    category   TEXT NOT NULL,
    opened_at  TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by INTEGER
) STRICT;

CREATE UNIQUE INDEX cases_one_open_per_target ON cases (target_id) WHERE status = 'pending';
CREATE INDEX cases_target ON cases (target_id, id);
CREATE INDEX cases_status ON cases (status, opened_at);

CREATE TABLE reports (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases (id),
    target_id      INTEGER NOT NULL REFERENCES targets (id),
    reporter_id    INTEGER NOT NULL,
    category       TEXT NOT NULL,
    query          TEXT NOT NULL,
    raw_input      TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('guided', 'shortcut', 'one_message')),
    forward_origin TEXT CHECK (forward_origin IS NULL OR json_valid(forward_origin)),
    comment        TEXT,
    language_code  TEXT,
    created_at     TEXT NOT NULL,
    update_id      INTEGER,
    draft_id       INTEGER UNIQUE
) STRICT;

CREATE UNIQUE INDEX reports_one_per_reporter_per_case ON reports (case_id, reporter_id);
CREATE INDEX reports_reporter_time ON reports (reporter_id, created_at);
CREATE INDEX reports_case_time ON reports (case_id, created_at);
CREATE INDEX reports_time ON reports (created_at);
-- Telegram may restart update ids after a quiet week, so this is looked up by recency, not unique.
CREATE INDEX reports_update ON reports (update_id) WHERE update_id IS NOT NULL;

CREATE TABLE report_drafts (
    user_id       INTEGER PRIMARY KEY,
    draft_id      INTEGER NOT NULL UNIQUE,
    chat_id       INTEGER NOT NULL,
    step          TEXT NOT NULL,
    data          TEXT NOT NULL CHECK (json_valid(data)),
    language_code TEXT,
    started_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
) STRICT;

CREATE INDEX report_drafts_expiry ON report_drafts (expires_at);
