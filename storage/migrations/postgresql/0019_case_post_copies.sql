-- A case post Telegram accepted but the bot never recorded (killed between the two, or the
-- answer lost) stays in the review chat with live buttons: the Bot API cannot list a chat's
-- messages and sendMessage has no idempotency key, so the bot cannot find it by itself.
--
-- sends_unsettled counts sendMessage attempts for the case's post that were begun (committed
-- before the call) and neither recorded nor refused by Telegram; send_started_at is when the
-- first of them began. A post recorded while others were unsettled (or after an attempt whose
-- answer was lost) may have copies above it: copies_unknown is how many at most, copy_since
-- when the earliest was sent. The post says so while copies_unknown > 0.
ALTER TABLE case_posts ADD COLUMN sends_unsettled bigint NOT NULL DEFAULT 0;
ALTER TABLE case_posts ADD COLUMN send_started_at text;
ALTER TABLE case_posts ADD COLUMN copies_unknown bigint NOT NULL DEFAULT 0;
ALTER TABLE case_posts ADD COLUMN copy_since text;

-- Copies Telegram named to the bot (a button pressed on one, a reply to one, or the bot's own
-- post that lost a race to an adopted copy). Each is retired once: deleted, or, when Telegram
-- refuses (over 48 hours old), edited into a pointer to the live post without buttons.
CREATE TABLE case_post_copies (
    chat_id         bigint NOT NULL,
    message_id      bigint NOT NULL,
    case_id         bigint NOT NULL REFERENCES cases (id),
    found_at        text NOT NULL,
    found_by        text NOT NULL CHECK (found_by IN ('press', 'reply', 'send')),
    next_attempt_at text NOT NULL,
    attempts        bigint NOT NULL DEFAULT 0,
    retired_at      text,
    retired_how     text CHECK (retired_how IN ('deleted', 'edited', 'gone')),
    PRIMARY KEY (chat_id, message_id)
);

CREATE INDEX case_post_copies_due ON case_post_copies (next_attempt_at)
    WHERE retired_at IS NULL;
