"""What the bot observes about confirmed violators itself: their chats re-read with getChat on
a schedule, and their profile when they message the bot. Changes become observations."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from moderation.personal_data import NotPersonalData
from moderation.ports import AuditTrail, TargetStore
from moderation.registry.violators import (
    Observation,
    ObservationKind,
    ObservationSource,
    RegistryRecords,
    Sealer,
    ViolatorRow,
    normalize_value,
    record_observation,
)
from moderation.reporting.targets import TargetKind, TargetRef


@dataclass(frozen=True, slots=True)
class Profile:
    """A chat's or user's public face as Telegram shows it now."""

    username: str | None
    display_name: str | None


class ProfileReader(Protocol):
    """getChat on Telegram; None when the chat cannot be read (gone, private, an error)."""

    async def read(self, target: TargetRef) -> Profile | None: ...


class ObservingRecords(RegistryRecords, Protocol):
    async def latest(self, violator_id: int, kind: ObservationKind) -> str | None: ...
    async def due_for_observation(self, before: datetime, limit: int) -> list[ViolatorRow]: ...
    async def observed(self, violator_id: int, at: datetime) -> None: ...


class ObservingUnit(Protocol):
    @property
    def registry(self) -> ObservingRecords: ...
    @property
    def audit(self) -> AuditTrail: ...


class ObservingStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[ObservingUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[ObservingUnit]: ...


@dataclass
class ObserveSummary:
    read: int = 0
    unreadable: int = 0
    changes: int = 0


async def observe_violators(
    store: ObservingStore,
    sealer: Sealer,
    reader: ProfileReader,
    now: datetime,
    *,
    interval: timedelta,
    limit: int,
) -> ObserveSummary:
    """Re-reads up to `limit` violators not read within `interval`, least recent first."""
    summary = ObserveSummary()
    async with store.reading() as uow:
        due = await uow.registry.due_for_observation(now - interval, limit)
    for violator in due:
        profile = await reader.read(violator.target)
        async with store.transaction() as uow:
            await uow.registry.observed(violator.id, now)
            if profile is None:
                summary.unreadable += 1
                continue
            summary.read += 1
            summary.changes += await _record_changes(uow, sealer, violator, profile, now)
    return summary


async def record_profile(
    store: ObservingStore, sealer: Sealer, violator_id: int, profile: Profile, now: datetime
) -> int:
    """A violator messaged the bot: records a changed username or name. Returns changes."""
    async with store.transaction() as uow:
        violator = await uow.registry.violator(violator_id)
        if violator is None:
            return 0
        return await _record_changes(uow, sealer, violator, profile, now)


async def _record_changes(
    uow: ObservingUnit, sealer: Sealer, violator: ViolatorRow, profile: Profile, now: datetime
) -> int:
    known = {
        ObservationKind.USERNAME: violator.target.username,
        ObservationKind.DISPLAY_NAME: violator.target.title,
    }
    seen = {
        ObservationKind.USERNAME: profile.username,
        ObservationKind.DISPLAY_NAME: profile.display_name,
    }
    changes = 0
    for kind, raw in seen.items():
        if not raw:
            continue
        try:
            value = normalize_value(kind, raw)
        except NotPersonalData:
            continue
        previous = await uow.registry.latest(violator.id, kind) or known[kind]
        if previous is not None and normalize_same(kind, previous, value):
            continue
        observation = Observation(kind, value, now, ObservationSource.BOT)
        if await record_observation(uow, sealer, violator.id, observation, now):
            changes += 1
    return changes


def normalize_same(kind: ObservationKind, previous: str, value: str) -> bool:
    try:
        return normalize_value(kind, previous) == value
    except NotPersonalData:
        return False


class LearningUnit(ObservingUnit, Protocol):
    @property
    def targets(self) -> TargetStore: ...


class LearningStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[LearningUnit]: ...


async def learn_user_id(
    store: LearningStore, username: str, telegram_id: int, display_name: str, now: datetime
) -> None:
    """A violator known only by @username wrote to the bot: its target learns the user's id,
    so lookups by Telegram id and later renamings find it."""
    async with store.transaction() as uow:
        await uow.targets.find_or_create(
            TargetRef(TargetKind.USER, username=username, chat_id=telegram_id, title=display_name),
            now,
        )
