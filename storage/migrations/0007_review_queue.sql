-- Review queue: priority order, escalation, moderators' notes, provisional hiding, the reason
-- text of an "other" rejection, cases a moderator asked to post from /queue, and a rejected
-- target's later reports waiting for enough new reporters to reopen it.
ALTER TABLE cases ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN escalated_at TEXT;
ALTER TABLE cases ADD COLUMN escalated_by INTEGER;
ALTER TABLE cases ADD COLUMN escalated_by_name TEXT;
ALTER TABLE cases ADD COLUMN escalation_note TEXT;
ALTER TABLE cases ADD COLUMN reject_note TEXT;
ALTER TABLE cases ADD COLUMN provisionally_hidden_at TEXT;

CREATE INDEX cases_pending_priority ON cases (priority DESC, id) WHERE status = 'pending';
CREATE INDEX cases_escalated ON cases (escalated_at) WHERE status = 'pending'
    AND escalated_at IS NOT NULL;

-- A moderator asked for this case from /queue: it goes out before the rest of the backlog.
ALTER TABLE case_posts ADD COLUMN requested_at TEXT;
CREATE INDEX case_posts_message ON case_posts (chat_id, message_id) WHERE message_id IS NOT NULL;

-- Provisional entries are lifted by a reject; confirmed ones stay until undone or overturned.
ALTER TABLE search_blocklist ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0
    CHECK (provisional IN (0, 1));

-- Moderators' private notes: replies to the case message, shown on it, never to reporters.
CREATE TABLE case_notes (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    author_id   INTEGER NOT NULL,
    author_name TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

CREATE INDEX case_notes_case ON case_notes (case_id, id);
