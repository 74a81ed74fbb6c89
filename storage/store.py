"""`Store`: the one entry point to the database for the rest of the bot.

`async with store.transaction() as uow:` gives repositories that share one serialised write
transaction; `async with store.reading() as uow:` gives the same repositories over a read-only
snapshot. Code outside storage/ sees only these typed repositories, never SQL; the same
repositories run on SQLite (`storage.database`) and PostgreSQL (`storage.postgres`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

from storage.audit import AuditRepository
from storage.console.records import ConsoleRepository
from storage.database import Database
from storage.instances import InstanceRepository, LeaseRepository
from storage.legal.repository import LegalRepository
from storage.legal.transparency import TransparencyRepository
from storage.location import Location, PostgresLocation, SqliteLocation
from storage.migrations import MigrationReport, migrate
from storage.pg_migrations import migrate_postgres, require_migrated
from storage.pg_roles import GrantReport, grant_bot_role
from storage.postgres import PostgresDatabase
from storage.registry.confirmations import ConfirmationRepository
from storage.registry.violators import RegistryRepository
from storage.reporting.cases import CaseRepository
from storage.reporting.drafts import DraftRepository
from storage.reporting.reports import ReportRepository
from storage.reporting.targets import TargetRepository
from storage.reporting.users import UserRepository
from storage.review.appeals import AppealRepository
from storage.review.blocklist import BlocklistRepository
from storage.review.case_copies import CopyRepository
from storage.review.cases import ReviewRepository
from storage.review.claims import ClaimRepository
from storage.review.menus import MenuRepository
from storage.review.outbox import OutboxRepository
from storage.review.posts import PostRepository
from storage.review.sends import SendRepository
from storage.sealing import SealRepository
from storage.sql import Connection, Dialect
from storage.staff.blocks import BlockRepository
from storage.staff.roles import RoleRepository
from storage.state import StateRepository
from storage.stats.figures import StatsRepository
from storage.stats.operating import DatabaseSize, OperatingRepository, database_size
from storage.updates import NO_BOT, ProcessedUpdateRepository, UpdateJournalRepository


class UnitOfWork:
    """The repositories bound to one connection for the span of one transaction or read."""

    def __init__(self, conn: Connection, bot_id: int = NO_BOT) -> None:
        self.users = UserRepository(conn)
        self.state = StateRepository(conn)
        self.audit = AuditRepository(conn)
        # Update ids are the bot's own numbering: these read and write its rows alone (and
        # reports and appeals recognise a redelivered update of this bot only).
        self.updates = ProcessedUpdateRepository(conn, bot_id)
        self.journal = UpdateJournalRepository(conn, bot_id)
        self.targets = TargetRepository(conn)
        self.cases = CaseRepository(conn)
        self.reports = ReportRepository(conn, bot_id)
        self.drafts = DraftRepository(conn)
        self.blocks = BlockRepository(conn)
        self.review = ReviewRepository(conn)
        self.blocklist = BlocklistRepository(conn)
        self.posts = PostRepository(conn)
        self.menus = MenuRepository(conn)
        self.claims = ClaimRepository(conn)
        self.copies = CopyRepository(conn)
        self.outbox = OutboxRepository(conn)
        self.appeals = AppealRepository(conn, bot_id)
        self.registry = RegistryRepository(conn)
        self.confirmations = ConfirmationRepository(conn)
        self.legal = LegalRepository(conn)
        self.transparency = TransparencyRepository(conn)
        self.roles = RoleRepository(conn)
        self.operating = OperatingRepository(conn)
        self.stats = StatsRepository(conn)
        self.seals = SealRepository(conn)
        self.instances = InstanceRepository(conn)
        self.leases = LeaseRepository(conn)
        self.sends = SendRepository(conn)
        self.console = ConsoleRepository(conn)


class Engine(Protocol):
    """What `Store` needs of a database: SQLite's `Database` or `PostgresDatabase`."""

    @property
    def dialect(self) -> Dialect: ...

    def transaction(self) -> AbstractAsyncContextManager[Connection]: ...

    def reading(self) -> AbstractAsyncContextManager[Connection]: ...

    async def close(self) -> None: ...


class Store:
    def __init__(
        self, database: Engine, migration: MigrationReport, grants: GrantReport | None = None
    ) -> None:
        self._db = database
        self.migration = migration
        #: PostgreSQL opened with the owner's URL: the privileges the bot's role was given.
        self.grants = grants
        self._commit_listeners: list[Callable[[], None]] = []
        #: The bot whose updates this store marks and journals (`serve_bot`); none at first.
        self.bot_id: int = NO_BOT

    def serve_bot(self, bot_id: int) -> None:
        """Marks and journals updates as `bot_id`'s from now on (the token's number: a
        database moved to another bot never takes its updates for the old one's)."""
        self.bot_id = bot_id

    @classmethod
    async def open(
        cls,
        where: Path | Location,
        *,
        readers: int = 2,
        owner: PostgresLocation | None = None,
    ) -> Store:
        """Applies pending migrations, then opens the connections (a Path is a SQLite file).

        PostgreSQL migrates only as `owner` (the tables' owner, DATABASE_OWNER_URL), and then
        gives `where`'s role exactly the bot's privileges (storage/pg_roles.py); without
        `owner` a database behind this code is refused with what to run (the bot's own role
        may not change the schema). `owner` may be `where` itself: one role for both."""
        location = SqliteLocation(where) if isinstance(where, Path) else where
        if isinstance(location, PostgresLocation):
            grants: GrantReport | None = None
            if owner is not None:
                report = await migrate_postgres(owner)
                grants = await grant_bot_role(owner, location)
            else:
                report = await require_migrated(location)
            return cls(await PostgresDatabase.open(location, readers=readers), report, grants)
        report = await migrate(location.path)
        return cls(await Database.open(location.path, readers=readers), report)

    @property
    def dialect(self) -> Dialect:
        return self._db.dialect

    @property
    def location(self) -> Location:
        if isinstance(self._db, PostgresDatabase):
            return self._db.location
        assert isinstance(self._db, Database)
        return SqliteLocation(self._db.path)

    @property
    def path(self) -> Path:
        """The SQLite file; PostgreSQL has none (check `dialect` first)."""
        location = self.location
        if not isinstance(location, SqliteLocation):
            raise TypeError("a PostgreSQL store has no file path")
        return location.path

    async def size(self) -> DatabaseSize:
        """The SQLite file and its WAL, or the PostgreSQL database's size on the server."""
        location = self.location
        if isinstance(location, SqliteLocation):
            return database_size(location.path)
        async with self.reading() as uow:
            return DatabaseSize(await uow.operating.server_database_bytes(), 0)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self._db.transaction() as conn:
            yield UnitOfWork(conn, self.bot_id)
        for listener in self._commit_listeners:
            listener()

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Calls `listener` after each write transaction of this store commits, so whoever
        waits for the database to change (a test, a tool) wakes then instead of polling it."""
        self._commit_listeners.append(listener)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[UnitOfWork]:
        async with self._db.reading() as conn:
            yield UnitOfWork(conn, self.bot_id)

    async def close(self) -> None:
        await self._db.close()
