-- Review: decisions on cases, the review-chat message that shows each case (posted and edited
-- through an outbox), messages owed to users, the search blocklist and confirmed violators.
ALTER TABLE cases ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN decision_category TEXT;
ALTER TABLE cases ADD COLUMN reject_reason TEXT;
ALTER TABLE cases ADD COLUMN decided_by_name TEXT;

-- One row per case: NULL message_id means "still to post"; shown_version < cases.version
-- means "still to edit". Committed with the case, so a crash never loses a post.
CREATE TABLE case_posts (
    case_id         INTEGER PRIMARY KEY REFERENCES cases (id),
    message_id      INTEGER,
    chat_id         INTEGER,
    posted_at       TEXT,
    shown_version   INTEGER NOT NULL DEFAULT -1,
    edited_at       TEXT,
    next_attempt_at TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
) STRICT;

CREATE INDEX case_posts_unposted ON case_posts (next_attempt_at) WHERE message_id IS NULL;
CREATE INDEX case_posts_due ON case_posts (next_attempt_at);

-- Messages owed to users (decision notifications). A unique key makes re-queueing harmless.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    chat_id         INTEGER NOT NULL,
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    status          TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sent_at         TEXT,
    last_error      TEXT
) STRICT;

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

-- What the platform's search must hide. One row per hidden target.
CREATE TABLE search_blocklist (
    target_id  INTEGER PRIMARY KEY REFERENCES targets (id),
    target_key TEXT NOT NULL,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    category   TEXT NOT NULL,
    hidden_at  TEXT NOT NULL
) STRICT;

-- Confirmed violators (the Registry issue adds their metadata history).
CREATE TABLE violators (
    id           INTEGER PRIMARY KEY,
    target_id    INTEGER NOT NULL UNIQUE REFERENCES targets (id),
    category     TEXT NOT NULL,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    confirmed_by INTEGER NOT NULL,
    confirmed_at TEXT NOT NULL
) STRICT;

-- Every existing pending case still has to be posted.
INSERT INTO case_posts (case_id, next_attempt_at)
SELECT id, opened_at FROM cases WHERE status = 'pending';
