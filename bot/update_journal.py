"""No update lost to a crash: every update is kept in the database before Telegram hears it
arrived, and handled again on the next start if the bot died first.

python-telegram-bot confirms a batch of updates to Telegram (the next getUpdates carries a
higher offset) as soon as the batch is queued, while its updates are still being handled; a
bot killed then would lose them, and Telegram would never send them again. So the getUpdates
request (`JournalingRequest`) writes each new update to the `update_journal` table before it
returns the batch to PTB, and the update processor releases an update once it was handled.
On start-up (`UpdateJournal.replay`) every update still kept is queued again. In webhook mode
Telegram hears it arrived from the answer to its POST, so the endpoint (bot.webhook_server)
keeps each update with `UpdateJournal.keep_delivered` and answers 200 only once it is committed.

Telegram redelivers what was not confirmed when the bot died, so an update may arrive both
from the journal and from Telegram: a released update leaves a tombstone for a day, and the
copy of an update the journal already knew is skipped (`UpdateJournal.take_duplicate`). An
update handled in full just before a crash, whose release had not been written yet, is handled
again: the handlers' own repeat protection (processed update ids, atomic decisions) covers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Final

import structlog
from telegram import Update
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

from moderation.clock import Clock
from moderation.instances import PRESUMED_DEAD
from moderation.sealing import update_context
from storage import Store
from storage.crypto import DecryptionFailed, PersonalDataCipher

log = structlog.get_logger(__name__)

#: The cipher's associated data for journal payloads.
#: Telegram keeps an unconfirmed update for 24 hours; tombstones need not outlive that.
TOMBSTONE_LIFETIME: Final = timedelta(days=1)


class JournalUnavailable(Exception):
    """An update could not be written to the journal (the message names the cause's type)."""


class UpdateJournal:
    """Keeps updates from their arrival until they were handled; inactive until `open`."""

    def __init__(self) -> None:
        self._store: Store | None = None
        self._cipher: PersonalDataCipher | None = None
        self._clock: Clock | None = None
        self._handled: list[int] = []
        self._duplicates: Counter[int] = Counter()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[Sequence[int]], None]] = []

    async def open(self, store: Store, cipher: PersonalDataCipher | None, clock: Clock) -> None:
        """Starts keeping updates (post_init, once the database is open)."""
        self._store, self._cipher, self._clock = store, cipher, clock
        async with store.transaction() as uow:
            await uow.journal.forget_released_before(clock.now() - TOMBSTONE_LIFETIME)
        self._task = asyncio.create_task(self._release_loop(), name="update-journal")

    async def adopt_leftovers(self) -> None:
        """Webhook mode: what a polling run left unhandled is claimed like any delivery."""
        if self._store is None:
            return
        async with self._store.transaction() as uow:
            adopted = await uow.journal.adopt_unclaimable()
        if adopted:
            log.warning("journal_adopted_polled_updates", updates=adopted)

    async def replay(self) -> list[dict[str, Any]]:
        """Polling mode (one instance): the updates a previous run took but did not handle,
        oldest first (JSON)."""
        if self._store is None:
            return []
        async with self._store.reading() as uow:
            kept = await uow.journal.unreleased()
        updates = self._opened(kept)
        if updates:
            log.warning("journal_replaying", updates=len(updates))
        return updates

    def _opened(self, kept: Sequence[tuple[int, str | None, bytes]]) -> list[dict[str, Any]]:
        """The kept updates' JSON; one that does not open is released, never handled."""
        updates: list[dict[str, Any]] = []
        unreadable: list[int] = []
        for update_id, key_id, payload in kept:
            try:
                updates.append(json.loads(self._open_payload(update_id, key_id, payload)))
            except (DecryptionFailed, ValueError) as exc:
                log.error("journal_update_unreadable", update_id=update_id, error=str(exc))
                unreadable.append(update_id)
        if unreadable:
            self._handled.extend(unreadable)
            self._wake.set()
        return updates

    async def keep(self, updates: Sequence[dict[str, Any]]) -> None:
        """Writes a batch fetched from Telegram before PTB can confirm it; notes the updates
        the journal already knew, so their second copy is skipped."""
        if self._store is None or self._clock is None or not updates:
            return
        entries = []
        for update in updates:
            update_id = int(update["update_id"])
            key_id, payload = self._seal(update_id, json.dumps(update, separators=(",", ":")))
            entries.append((update_id, key_id, payload))
        try:
            async with self._store.transaction() as uow:
                known = await uow.journal.keep(entries, self._clock.now())
        except Exception as exc:  # a full disk, say: handle the batch unprotected, not never
            log.error("journal_keep_failed", updates=len(entries), error_type=type(exc).__name__)
            return
        if known:
            log.info("journal_redelivered", updates=len(known))
            self._duplicates.update(known)

    async def keep_delivered(self, update: dict[str, Any], conversation: str) -> bool:
        """Writes and commits one update Telegram delivered by webhook, before it is answered,
        for whichever instance claims it (`claim`); False when the journal already knew it (a
        redelivery: kept, being handled or handled).

        Raises JournalUnavailable when it cannot be written: the caller answers an error, so
        Telegram delivers the update again later, instead of handling it unprotected."""
        if self._store is None or self._clock is None:
            raise JournalUnavailable("the update journal is not open")
        update_id = int(update["update_id"])
        key_id, payload = self._seal(update_id, json.dumps(update, separators=(",", ":")))
        try:
            async with self._store.transaction() as uow:
                return await uow.journal.keep_for_claim(
                    update_id, key_id, payload, conversation, self._clock.now()
                )
        except Exception as exc:  # locked by another process, a full disk, ...
            raise JournalUnavailable(type(exc).__name__) from exc

    async def claim(self, instance_id: str, limit: int) -> list[dict[str, Any]]:
        """Takes for this instance up to `limit` updates it may handle now (JSON, oldest
        first): the next of each conversation no live instance is handling."""
        if self._store is None or self._clock is None or limit <= 0:
            return []
        now = self._clock.now()
        # A read first: an idle instance looks often, and only takes the write lock when
        # there is something to claim.
        async with self._store.reading() as uow:
            if not await uow.journal.claimable(now - PRESUMED_DEAD, 1):
                return []
        async with self._store.transaction() as uow:
            claimed = await uow.journal.claim(instance_id, now - PRESUMED_DEAD, now, limit)
        left = sorted({was for *_, was in claimed if was is not None and was != instance_id})
        if left:
            log.warning(
                "journal_reclaimed",
                updates=sum(1 for *_, was in claimed if was in left),
                from_instances=left,
            )
        return self._opened(
            [(update_id, key_id, payload) for update_id, key_id, payload, _ in claimed]
        )

    def on_release(self, listener: Callable[[Sequence[int]], None]) -> None:
        """`listener` hears which updates were released, once that is committed."""
        self._listeners.append(listener)

    def take_duplicate(self, update_id: int) -> bool:
        """True (once per extra copy) when this copy of the update is one too many."""
        if self._duplicates[update_id] <= 0:
            return False
        self._duplicates[update_id] -= 1
        if self._duplicates[update_id] == 0:
            del self._duplicates[update_id]
        return True

    def handled(self, update_id: int) -> None:
        """The update's handling finished (well or with an error the user was told of)."""
        if self._store is None:
            return
        self._handled.append(update_id)
        self._wake.set()

    async def close(self) -> None:
        """Writes the last releases (before the database closes)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._release()
        self._store = None

    async def _release_loop(self) -> None:
        """Writes releases as soon as possible (the shorter the gap, the fewer updates a crash
        has handled twice); those handled while one is written go together in the next."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._release()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # kept updates are handled again: a delay, not a loss
                log.error("journal_release_failed", error_type=type(exc).__name__, exc_info=exc)
                await asyncio.sleep(1.0)

    async def _release(self) -> None:
        if self._store is None or self._clock is None or not self._handled:
            return
        batch, self._handled = self._handled, []
        try:
            async with self._store.transaction() as uow:
                await uow.journal.release(batch, self._clock.now())
        except BaseException:
            self._handled[:0] = batch
            raise
        for listener in self._listeners:
            listener(batch)

    def _seal(self, update_id: int, text: str) -> tuple[str | None, bytes]:
        """Sealed bound to its update id: a payload moved to another row does not open."""
        if self._cipher is None:
            return None, text.encode()
        return self._cipher.encrypt(text, update_context(update_id))

    def _open_payload(self, update_id: int, key_id: str | None, payload: bytes) -> str:
        if key_id is None:
            return payload.decode()
        if self._cipher is None:
            raise DecryptionFailed("the update was encrypted and no ENCRYPTION_KEY is set")
        return self._cipher.decrypt(key_id, payload, update_context(update_id))


class JournalingRequest(BaseRequest):
    """The getUpdates request: keeps each fetched batch in the journal before PTB sees it."""

    def __init__(self, inner: BaseRequest, journal: UpdateJournal) -> None:
        self._inner = inner
        self._journal = journal

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        status, body = await self._inner.do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if status == 200 and url.rsplit("/", 1)[-1].lower() == "getupdates":
            await self._journal.keep(_updates_in(body))
        return status, body


def _updates_in(body: bytes) -> list[dict[str, Any]]:
    try:
        answer = json.loads(body)
    except ValueError:
        return []  # PTB reports the broken answer itself
    result = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(result, list):
        return []
    return [item for item in result if isinstance(item, dict) and "update_id" in item]


def replayed(updates: Sequence[dict[str, Any]], bot: Any) -> list[Update]:
    """The journal's JSON as Update objects bound to the bot."""
    found: list[Update] = []
    for data in updates:
        update = Update.de_json(data, bot)
        if update is not None:
            found.append(update)
    return found
