-- Update ids whose effects were committed, so a redelivered update is not applied twice.
CREATE TABLE processed_updates (
    update_id    bigint PRIMARY KEY,
    processed_at text NOT NULL
);

CREATE INDEX processed_updates_at ON processed_updates (processed_at);
