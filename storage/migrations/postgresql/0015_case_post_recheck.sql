-- A case message edit whose answer was lost (a timeout, a dropped connection, a 5xx) may still
-- be applied by Telegram later, after a newer edit, and leave the message showing an older
-- version with nothing in the database to say so. Such an edit sets recheck_at: the delivery
-- worker edits the message once more after that time (Telegram answers "not modified" when it
-- was right), and only an edit started at or after recheck_at clears it.
ALTER TABLE case_posts ADD COLUMN recheck_at text;
