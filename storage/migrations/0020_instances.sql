-- Several `report-bot run` processes may share one PostgreSQL database (webhook mode); one
-- SQLite file has one process. Either way each process registers here and says it is alive
-- (seen_at, every few seconds), so /health can list who runs and a dead process is recognised.
CREATE TABLE instances (
    id         TEXT PRIMARY KEY,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    mode       TEXT NOT NULL CHECK (mode IN ('polling', 'webhook')),
    version    TEXT NOT NULL,
    started_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL,
    stopped_at TEXT
) STRICT;

CREATE INDEX instances_seen ON instances (seen_at) WHERE stopped_at IS NULL;

-- A lease is held by one instance until expires_at unless renewed: the `jobs` lease makes one
-- instance at a time run the scheduled work (retention purge, violator observation, draft
-- timeouts, delivery of case posts and notifications); the `polling` lease keeps polling to
-- one instance, as Telegram allows one getUpdates consumer. A holder that dies stops renewing
-- and another instance takes the lease over once it expired.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) STRICT;
