-- Four eyes are two people: a legal or admin role granted from the bot takes effect only when a
-- second admin confirms it. Until then it is a pending grant (its own table, so it gives no role
-- anywhere: every reader of role_grants sees confirmed roles only); it lapses after 7 days,
-- checked when read. A confirmed grant keeps who proposed it (granted_by, granted_at) and who
-- confirmed it and when (confirmed_by, confirmed_at: the cool-off counts from there).
-- Legal and admin grants made before this migration were made by one admin: they stay in force,
-- marked legacy (confirmed by nobody); their proposer still counts against them as an approver.
-- (PostgreSQL twin of ../0024_grant_confirmations.sql.)
ALTER TABLE role_grants ADD COLUMN confirmed_by bigint;
ALTER TABLE role_grants ADD COLUMN confirmed_at text;
ALTER TABLE role_grants ADD COLUMN legacy bigint NOT NULL DEFAULT 0 CHECK (legacy IN (0, 1));
UPDATE role_grants SET legacy = 1 WHERE role IN ('legal', 'admin');

CREATE TABLE pending_grants (
    user_id     bigint NOT NULL,
    role        text NOT NULL CHECK (role IN ('legal', 'admin')),
    proposed_by bigint NOT NULL,
    proposed_at text NOT NULL,
    PRIMARY KEY (user_id, role)
);
