-- Several `report-bot run` processes may share one PostgreSQL database (webhook mode); one
-- SQLite file has one process. Either way each process registers here and says it is alive
-- (seen_at, every few seconds), so /health can list who runs and a dead process is recognised.
-- (PostgreSQL twin of ../0020_instances.sql.)
CREATE TABLE instances (
    id         text PRIMARY KEY,
    host       text NOT NULL,
    pid        bigint NOT NULL,
    mode       text NOT NULL CHECK (mode IN ('polling', 'webhook')),
    version    text NOT NULL,
    started_at text NOT NULL,
    seen_at    text NOT NULL,
    stopped_at text
);

CREATE INDEX instances_seen ON instances (seen_at) WHERE stopped_at IS NULL;

-- A lease is held by one instance until expires_at unless renewed: the `jobs` lease makes one
-- instance at a time run the scheduled work (retention purge, violator observation, draft
-- timeouts, delivery of case posts and notifications); the `polling` lease keeps polling to
-- one instance, as Telegram allows one getUpdates consumer. A holder that dies stops renewing
-- and another instance takes the lease over once it expired.
CREATE TABLE leases (
    name        text PRIMARY KEY,
    holder      text NOT NULL,
    acquired_at text NOT NULL,
    expires_at  text NOT NULL
);
