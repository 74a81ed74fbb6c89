"""The delivery worker: one task that does, in order, what is due in the review chat (copies to
retire, the digest, case posts and edits, closed undo windows, appeal posts) and then the
notifications users are owed.

Every instance runs it. Case posts and edits and notifications go out from whichever instance
claims them first (moderation/review/delivery.py: `claim_post`), so a dead instance holds up
only what it had claimed, for OUTBOX_CLAIM_SECONDS at most, and none waits for a leader; the
review chat's upkeep (copies, the digest, undo windows, appeal posts, severe-wait notices) is
the `jobs` lease holder's alone.

Work lives in the database (case_posts, appeal posts, outbox), committed with the change that
caused it; this task only reads what is due and records what happened. It wakes when handlers
commit new work and otherwise every second; the chat's budget keeps it within Telegram's
per-group limits, with a reserve for moderators' decisions. What one post or one notification
takes is in case_posts.py, appeal_posts.py, review_poster.py, digest.py and notifier.py beside
this module.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Final

import structlog

from handlers.outbound.appeal_posts import post_appeals
from handlers.outbound.case_copies import retire_copy
from handlers.outbound.case_posts import post_case, review_views
from handlers.outbound.digest import keep_digest
from handlers.outbound.notifier import Notifier
from handlers.outbound.review_poster import ReviewPoster
from handlers.runtime.context import BotApplication, Services
from moderation.review.case_copies import due_copies
from moderation.review.delivery import (
    claim_post,
    release_post,
    review_chat,
    undo_windows_closed,
)
from moderation.review.menus import close_expired_menus
from moderation.review.severe_waits import NONE_OVERDUE, Overdue, check_severe_waits
from moderation.review.types import PostTask

log = structlog.get_logger(__name__)

TICK_SECONDS: Final = 1.0
MIN_PASS_GAP_SECONDS: Final = 0.2
#: Due posts and edits claimed per pass at most; the budget decides how many go out.
DUE_BATCH: Final = 40
#: How long `stop` lets the pass under way finish before cancelling it.
STOP_GRACE_SECONDS: Final = 15.0


def posting_reserve(per_minute: int) -> int:
    """Messages per minute kept free of backlog posting for decisions and replies."""
    return per_minute // 4


class DeliveryWorker:
    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._busy = asyncio.Lock()  # one pass at a time, or a due post could go out twice
        self._task: asyncio.Task[None] | None = None
        self._application: BotApplication | None = None
        self._warned_no_chat = False
        self._severe_waiting = False  # for the log line when severe cases start or stop waiting
        self._stopping = asyncio.Event()
        self._poster = ReviewPoster()  # case and appeal posts
        # Claimed case posts Telegram accepted whose record failed: the claim is kept (no
        # other instance posts them again) until the next pass records them.
        self._kept: dict[int, tuple[PostTask, datetime]] = {}
        self._notifier = Notifier()

    def wake(self) -> None:
        self._wake.set()

    def start(self, application: BotApplication) -> None:
        self._application = application
        self._task = asyncio.create_task(self._run(), name="delivery-worker")

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Ends after the message under way: what was sent is recorded as sent, the rest stays
        due in the database for the next start. Cancels only if that takes over `grace`."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            log.warning("delivery_stop_timed_out", grace_seconds=grace)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except asyncio.CancelledError:
            task.cancel()
            raise
        log.info("delivery_stopped")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the worker must outlive any one failure
                log.error("delivery_failed", error_type=type(exc).__name__, exc_info=exc)
            # Wakes that come in a burst (a report each) are served by one pass, not one each;
            # a stop ends the gap at once instead of waiting it out.
            if self._stopping.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), MIN_PASS_GAP_SECONDS)
            self._wake.clear()
            if self._stopping.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_SECONDS)

    async def run_once(self) -> None:
        """Does everything that is due now (tests call this to avoid waiting for a tick)."""
        application = self._application
        if application is None:
            return
        services: Services = application.bot_data.services
        leads = await services.presence.leads()  # the upkeep; posts are claimed by anyone
        async with self._busy:
            overdue = await self._severe_waits(services) if leads else NONE_OVERDUE
            await self._posts(application, services, overdue, leads=leads)
            await self._notifier.send_due(application, services, self._stopping.is_set)

    async def _severe_waits(self, services: Services) -> Overdue:
        """Severe cases waiting too long: notices to admins once per breach (queued in the
        outbox, sent below in this pass) and the count for the review chat's digest."""
        settings = services.settings
        overdue = await check_severe_waits(
            services.store, settings.severe_policy, settings.admin_ids, services.clock.now()
        )
        if (overdue.count > 0) != self._severe_waiting:
            self._severe_waiting = overdue.count > 0
            if overdue.count:
                log.warning(
                    "severe_cases_waiting",
                    cases=overdue.count,
                    oldest_case_id=overdue.oldest_case_id,
                    minutes=settings.sla_severe_pending_minutes,
                )
            else:
                log.info("severe_cases_waiting_cleared")
        return overdue

    # --- the review chat ------------------------------------------------------------------

    async def _posts(
        self, application: BotApplication, services: Services, overdue: Overdue, *, leads: bool
    ) -> None:
        settings = services.settings
        chat_id = await review_chat(services.store, settings.review_chat_id)
        if chat_id is None:
            if not self._warned_no_chat:
                log.warning("review_chat_not_configured", hint="set REVIEW_CHAT_ID")
                self._warned_no_chat = True
            return
        budget = services.review_budget
        reserve = posting_reserve(budget.per_minute)
        if leads:
            # Copies with live buttons first: a press on one still counts, but confuses.
            await self._copies(application, services)
            # The digest next: when the backlog is large, saying so matters more than one post.
            await keep_digest(application, services, chat_id, reserve, overdue)
            # A category or reason menu left open closes: its post is redrawn without it.
            await close_expired_menus(services.store, services.clock.now())
        finished = await self._due_posts(application, services, chat_id, reserve)
        if not leads:
            return
        # Undo buttons whose window has closed go last, from what the backlog and the count
        # updates left over and never from the reserve: each becomes an edit due now (kept in
        # the database until it is made), sent at once.
        room = (await budget.available()) - reserve
        if finished and room > 0:
            closed = await undo_windows_closed(services.store, services.clock.now(), room)
            if closed:
                log.info("undo_windows_closed", cases=len(closed))
                await self._due_posts(application, services, chat_id, reserve)
        if not self._stopping.is_set():
            await post_appeals(self._poster, application, services, chat_id, self._stopping.is_set)

    async def _due_posts(
        self, application: BotApplication, services: Services, chat_id: int, reserve: int
    ) -> bool:
        """Sends what is due while the budget allows, each post claimed first so no other
        instance sends it meanwhile; False if something due had to wait."""
        budget = services.review_budget
        debounce = timedelta(seconds=services.settings.case_edit_debounce_seconds)
        claim = timedelta(seconds=services.settings.outbox_claim_seconds)
        await self._record_kept(application, services, chat_id)
        if not await budget.available():
            return not self._stopping.is_set()
        taken: set[int] = set()
        for _ in range(DUE_BATCH):
            if self._stopping.is_set():
                return False
            now = services.clock.now()
            # Each case once a pass: one still due after its turn waits for the next pass.
            task = await claim_post(services.store, now, debounce, now + claim, taken)
            if task is None:
                break
            taken.add(task.case_id)
            try:
                # Asked-for cases and decisions may use the whole budget; the backlog and
                # count updates leave a reserve so a moderator's decision shows at once.
                await budget.pace()
                if not await budget.try_spend(0 if task.requested or task.decided else reserve):
                    return False
                if not await post_case(
                    self._poster, application, services, task, chat_id, self.wake
                ):
                    return False
            finally:
                await self._release(services, task, now + claim)
        return not self._stopping.is_set()

    async def _release(self, services: Services, task: PostTask, until: datetime) -> None:
        """The claim ends, unless Telegram took the post and its record failed: then it is
        kept, so the next pass records it instead of another instance posting it again."""
        if self._poster.unrecorded("case", task.case_id):
            self._kept[task.case_id] = (task, until)
            return
        self._kept.pop(task.case_id, None)
        await release_post(services.store, task.case_id, until, services.clock.now())

    async def _record_kept(
        self, application: BotApplication, services: Services, chat_id: int
    ) -> None:
        """Records the posts a failed record left claimed (no message is sent for them)."""
        for task, until in list(self._kept.values()):
            try:
                await post_case(self._poster, application, services, task, chat_id, self.wake)
            finally:
                await self._release(services, task, until)

    async def _copies(self, application: BotApplication, services: Services) -> None:
        """Copies Telegram named that their finder could not retire: deleted or disarmed."""
        budget = services.review_budget
        for task in await due_copies(services.store, services.clock.now()):
            if self._stopping.is_set():
                return
            await budget.pace()
            if not await budget.try_spend(0):
                return
            views = review_views(application, services)
            if not await retire_copy(application.bot, services, views, task):
                return
