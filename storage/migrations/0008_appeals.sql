-- Appeals against a decision: each is posted to the review chat as its own message (the same
-- outbox pattern as case_posts: NULL message_id means "still to post", shown_version < version
-- means "still to edit") and decided Uphold / Overturn by a moderator other than the original.
CREATE TABLE appeals (
    id                  INTEGER PRIMARY KEY,
    case_id             INTEGER NOT NULL REFERENCES cases (id),
    appellant_id        INTEGER NOT NULL,
    language_code       TEXT,
    statement           TEXT NOT NULL,
    original_status     TEXT NOT NULL CHECK (original_status IN ('approved', 'rejected')),
    original_decided_by INTEGER NOT NULL,
    original_decided_at TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'upheld', 'overturned')),
    decided_by          INTEGER,
    decided_by_name     TEXT,
    decided_at          TEXT,
    created_at          TEXT NOT NULL,
    update_id           INTEGER,
    version             INTEGER NOT NULL DEFAULT 0,
    message_id          INTEGER,
    chat_id             INTEGER,
    shown_version       INTEGER NOT NULL DEFAULT -1,
    next_attempt_at     TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT
) STRICT;

CREATE UNIQUE INDEX appeals_one_open_per_appellant ON appeals (case_id, appellant_id)
    WHERE status = 'pending';
CREATE INDEX appeals_appellant_time ON appeals (appellant_id, created_at);
CREATE INDEX appeals_due ON appeals (next_attempt_at) WHERE message_id IS NULL
    OR shown_version < version;
CREATE INDEX appeals_update ON appeals (update_id) WHERE update_id IS NOT NULL;
