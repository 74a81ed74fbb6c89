"""`Store`: the one entry point to the database for the rest of the bot.

`async with store.transaction() as uow:` gives repositories that share one serialised write
transaction; `async with store.reading() as uow:` gives the same repositories over a read-only
snapshot. Code outside storage/ sees only these typed repositories, never SQL, so another
backend can implement the same surface.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from storage.audit import AuditRepository
from storage.database import Database
from storage.legal.repository import LegalRepository
from storage.legal.transparency import TransparencyRepository
from storage.migrations import MigrationReport, migrate
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
from storage.review.outbox import OutboxRepository
from storage.review.posts import PostRepository
from storage.sealing import SealRepository
from storage.staff.blocks import BlockRepository
from storage.staff.roles import RoleRepository
from storage.state import StateRepository
from storage.stats.figures import StatsRepository
from storage.stats.operating import OperatingRepository
from storage.updates import ProcessedUpdateRepository, UpdateJournalRepository


class UnitOfWork:
    """The repositories bound to one connection for the span of one transaction or read."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.users = UserRepository(conn)
        self.state = StateRepository(conn)
        self.audit = AuditRepository(conn)
        self.updates = ProcessedUpdateRepository(conn)
        self.journal = UpdateJournalRepository(conn)
        self.targets = TargetRepository(conn)
        self.cases = CaseRepository(conn)
        self.reports = ReportRepository(conn)
        self.drafts = DraftRepository(conn)
        self.blocks = BlockRepository(conn)
        self.review = ReviewRepository(conn)
        self.blocklist = BlocklistRepository(conn)
        self.posts = PostRepository(conn)
        self.copies = CopyRepository(conn)
        self.outbox = OutboxRepository(conn)
        self.appeals = AppealRepository(conn)
        self.registry = RegistryRepository(conn)
        self.confirmations = ConfirmationRepository(conn)
        self.legal = LegalRepository(conn)
        self.transparency = TransparencyRepository(conn)
        self.roles = RoleRepository(conn)
        self.operating = OperatingRepository(conn)
        self.stats = StatsRepository(conn)
        self.seals = SealRepository(conn)


class Store:
    def __init__(self, database: Database, migration: MigrationReport) -> None:
        self._db = database
        self.migration = migration

    @classmethod
    async def open(cls, path: Path, *, readers: int = 2) -> Store:
        """Applies pending migrations, then opens the connections."""
        report = await migrate(path)
        return cls(await Database.open(path, readers=readers), report)

    @property
    def path(self) -> Path:
        return self._db.path

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self._db.transaction() as conn:
            yield UnitOfWork(conn)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[UnitOfWork]:
        async with self._db.reading() as conn:
            yield UnitOfWork(conn)

    async def close(self) -> None:
        await self._db.close()
