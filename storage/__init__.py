"""aiosqlite storage: transactions, numbered migrations, repositories.

All SQL lives in this package. Everything else uses `Store` and the typed repositories of its
unit of work, plus the maintenance helpers the CLI needs.
"""

from storage.database import Database
from storage.errors import (
    DatabaseFullError,
    DatabaseLockedError,
    DatabaseTooNewError,
    MigrationError,
    StorageError,
)
from storage.maintenance import BackupResult, CheckReport, backup_database, check_database
from storage.migrations import MigrationReport, latest_version, migrate
from storage.store import Store, UnitOfWork

__all__ = [
    "BackupResult",
    "CheckReport",
    "Database",
    "DatabaseFullError",
    "DatabaseLockedError",
    "DatabaseTooNewError",
    "MigrationError",
    "MigrationReport",
    "StorageError",
    "Store",
    "UnitOfWork",
    "backup_database",
    "check_database",
    "latest_version",
    "migrate",
]
