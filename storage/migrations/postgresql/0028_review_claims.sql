-- Cases served to one moderator at a time outside the review chat (/review in a private chat,
-- the console's "next"), kept here so that every instance sharing the database serves any
-- moderator and two moderators are never served the same case.
-- kind 'claim': the case is being reviewed by moderator_id (through `via`) until claimed_until;
-- nobody else is served it meanwhile. At most one live holder per case (the unique index), at
-- most one claim per moderator and way in (moderation/review/claims.py releases the previous).
-- kind 'skip': moderator_id skipped the case; it is not served to them again until
-- claimed_until, and it blocks nobody else. A claim never blocks a decision: deciding reads
-- nothing here. Expired rows are deleted by the next serve.
-- (PostgreSQL twin of ../0028_review_claims.sql.)
CREATE TABLE review_claims (
    case_id        bigint NOT NULL REFERENCES cases (id),
    moderator_id   bigint NOT NULL,
    moderator_name text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('claim', 'skip')),
    via            text NOT NULL CHECK (via IN ('private', 'console')),
    claimed_at     text NOT NULL,
    claimed_until  text NOT NULL,
    PRIMARY KEY (case_id, moderator_id)
);

CREATE UNIQUE INDEX review_claims_holder ON review_claims (case_id) WHERE kind = 'claim';
CREATE INDEX review_claims_moderator ON review_claims (moderator_id, via, kind);
CREATE INDEX review_claims_until ON review_claims (claimed_until);
