"""Storage failures the rest of the bot can act on, without knowing the SQL backend."""

from __future__ import annotations


class StorageError(Exception):
    """The database could not do what was asked; the message says what and what to do."""


class DatabaseFullError(StorageError):
    """The disk (or the database's page limit) is full; nothing of the failed write was kept."""


class DatabaseLockedError(StorageError):
    """Another process held the database for longer than the busy timeout."""


class MigrationError(StorageError):
    """A migration file is malformed or failed; the database keeps its previous version."""


class DatabaseTooNewError(MigrationError):
    """The database was migrated by a newer release than this code."""


class ConstraintError(StorageError):
    """A write broke a rule the database enforces (a unique key, a check, a guard trigger);
    nothing of the transaction was kept. The message is the database's own."""


class DatabaseUnavailableError(StorageError):
    """The database server could not be reached or went away; nothing of the failed write was
    kept, and the bot retries as it does for a locked database."""
