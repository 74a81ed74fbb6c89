"""The delivery worker: posts cases to the review chat, keeps their messages current, and sends
the notifications users are owed, retrying with backoff until Telegram accepts them.

Work lives in the database (case_posts, outbox), committed with the change that caused it; this
task only reads what is due and records what happened. It wakes when handlers commit new work
and otherwise every second; the rate limiter keeps it within Telegram's per-group limits.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import structlog
from telegram import InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from handlers.appeal_views import AppealViews
from handlers.errors import is_message_gone, is_not_modified
from handlers.outbound.case_copies import retire_copy
from handlers.outbound.case_edits import case_message_edit
from handlers.report_views import ReportViews
from handlers.review_views import ReviewViews, build_review_views, when_text
from handlers.runtime.answer_watch import watch_answers
from handlers.runtime.context import BotApplication, Services
from moderation.legal.disclosure import LEDGER_CHECKPOINT_KIND
from moderation.review.appeals import (
    APPEAL_OUTCOME_KIND,
    appeal_post_failed,
    appeal_posted,
    appeal_shown,
    appeal_view,
    due_appeal_posts,
)
from moderation.review.case_copies import PostRef, due_copies, lost_race
from moderation.review.decisions import OUTCOME_KIND, case_view
from moderation.review.delivery import (
    backlog_size,
    backoff,
    current_digest,
    digest_cleared,
    digest_due,
    digest_shown,
    due_notifications,
    due_posts,
    mark_lost,
    mark_posted,
    mark_reposted,
    mark_shown,
    notification_failed,
    notification_sent,
    post_failed,
    review_chat,
    review_chat_moved,
    send_begun,
    send_refused,
    undo_windows_closed,
)
from moderation.review.severe_waits import NOTICE_KIND, Overdue, check_severe_waits
from moderation.review.types import CaseView, Notification, PostTask
from moderation.review.undo_window import undo_open_until

log = structlog.get_logger(__name__)

TICK_SECONDS: Final = 1.0
MIN_PASS_GAP_SECONDS: Final = 0.2
#: Due posts and edits looked at per pass; the budget decides how many go out.
DUE_BATCH: Final = 40
#: How long `stop` lets the pass under way finish before cancelling it.
STOP_GRACE_SECONDS: Final = 15.0


@dataclass(frozen=True, slots=True)
class _Accepted:
    """A post Telegram accepted, as it was sent (the version shown is the task's)."""

    task: PostTask
    chat_id: int
    message_id: int
    lost: int = 0  # attempts of the call whose answer was lost: each may have left a copy


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
        # Posts Telegram accepted whose record could not be written (the database locked or
        # full): the next pass records these instead of posting the case or appeal again.
        self._unrecorded_cases: dict[int, _Accepted] = {}
        self._unrecorded_appeals: dict[int, _Accepted] = {}
        self._unrecorded_notifications: set[int] = set()

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
            # Wakes that come in a burst (a report each) are served by one pass, not one each.
            if self._stopping.is_set():
                return
            await asyncio.sleep(MIN_PASS_GAP_SECONDS)
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
        async with self._busy:
            overdue = await self._severe_waits(services)
            await self._posts(application, services, overdue)
            await self._notifications(application, services)

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
        self, application: BotApplication, services: Services, overdue: Overdue
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
        # Copies with live buttons first: a press on one still counts, but confuses.
        await self._copies(application, services)
        # The digest next: when the backlog is large, saying so matters more than one post.
        await self._digest(application, services, chat_id, reserve, overdue)
        finished = await self._due_posts(application, services, chat_id, reserve)
        # Undo buttons whose window has closed go last, from what the backlog and the count
        # updates left over and never from the reserve: each becomes an edit due now (kept in
        # the database until it is made), sent at once.
        room = budget.available() - reserve
        if finished and room > 0:
            closed = await undo_windows_closed(services.store, services.clock.now(), room)
            if closed:
                log.info("undo_windows_closed", cases=len(closed))
                await self._due_posts(application, services, chat_id, reserve)
        if not self._stopping.is_set():
            await self._appeals(application, services, chat_id)

    async def _due_posts(
        self, application: BotApplication, services: Services, chat_id: int, reserve: int
    ) -> bool:
        """Sends what is due while the budget allows; False if something due had to wait."""
        budget = services.review_budget
        now = services.clock.now()
        debounce = timedelta(seconds=services.settings.case_edit_debounce_seconds)
        due = (
            await due_posts(services.store, now, debounce, DUE_BATCH) if budget.available() else []
        )
        for task in due:
            if self._stopping.is_set():
                return False
            # Asked-for cases and decisions may use the whole budget; the backlog and count
            # updates leave a reserve so a moderator's decision shows at once.
            await budget.pace()
            if not budget.try_spend(0 if task.requested or task.decided else reserve):
                return False
            if not await self._post_one(application, services, task, chat_id):
                return False
        return not self._stopping.is_set()

    async def _appeals(self, application: BotApplication, services: Services, chat_id: int) -> None:
        """Appeal messages: few, and someone waits on each, so they skip the reserve."""
        now = services.clock.now()
        for task in await due_appeal_posts(services.store, now):
            if self._stopping.is_set():
                return
            view = await appeal_view(services.store, task.case_id)
            await services.review_budget.pace()
            if view is None or not services.review_budget.try_spend():
                return
            views = AppealViews(review_views(application, services))
            try:
                if task.message_id is None:
                    accepted = self._unrecorded_appeals.get(task.case_id)
                    if accepted is None:
                        sent = await application.bot.send_message(
                            chat_id,
                            views.text(view),
                            reply_markup=views.keyboard(view),
                            message_thread_id=services.settings.review_thread_id,
                        )
                        accepted = _Accepted(task, chat_id, sent.message_id)
                        self._unrecorded_appeals[task.case_id] = accepted
                    await appeal_posted(
                        services.store, accepted.task, accepted.chat_id, accepted.message_id, now
                    )
                    del self._unrecorded_appeals[task.case_id]
                else:
                    try:
                        await application.bot.edit_message_text(
                            views.text(view),
                            chat_id=task.chat_id or chat_id,
                            message_id=task.message_id,
                            reply_markup=views.keyboard(view),
                        )
                    except BadRequest as exc:
                        if not (is_not_modified(exc) or is_message_gone(exc)):
                            raise
                    await appeal_shown(services.store, task.case_id, view.appeal.version, now)
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                services.review_budget.refund()
                services.review_budget.pause(wait.total_seconds())
                await appeal_post_failed(services.store, task, "retry_after", now + wait)
                return
            except TelegramError as exc:
                log.warning("appeal_post_failed", appeal_id=task.case_id, error=str(exc)[:100])
                retry_at = now + backoff(task.attempts)
                await appeal_post_failed(services.store, task, type(exc).__name__, retry_at)
                return

    async def _post_one(
        self, application: BotApplication, services: Services, task: PostTask, chat_id: int
    ) -> bool:
        """Posts or edits one case message; False when the chat cannot take more right now."""
        view = await case_view(services.store, task.case_id)
        if view is None:
            return True
        settings = services.settings
        views = review_views(application, services)
        now = services.clock.now()
        undo_until = undo_open_until(view, now, timedelta(minutes=settings.undo_window_minutes))
        text = views.case_text(view)
        keyboard = views.keyboard(view, services.open_menus.menu_of(view.id), undo_until=undo_until)
        bot = application.bot
        try:
            if task.message_id is None:
                accepted = self._unrecorded_cases.get(task.case_id)
                if accepted is None:
                    accepted = await self._send_post(
                        application, services, task, chat_id, text, keyboard
                    )
                    self._unrecorded_cases[task.case_id] = accepted
                else:
                    log.info("case_post_recorded_late", case_id=task.case_id)
                await self._record_post(services, accepted, now, undo_until)
                del self._unrecorded_cases[task.case_id]
            else:
                async with case_message_edit(services, task.case_id):
                    try:
                        await bot.edit_message_text(
                            text,
                            chat_id=task.chat_id or chat_id,
                            message_id=task.message_id,
                            reply_markup=keyboard,
                        )
                    except BadRequest as exc:
                        if is_message_gone(exc):
                            return await self._repost(
                                application, services, task, chat_id, text, view, undo_until
                            )
                        if not is_not_modified(exc):
                            raise
                    await mark_shown(
                        services.store,
                        task.case_id,
                        task.message_id,
                        view.version,
                        now,
                        redraw_at=undo_until,
                    )
        except ChatMigrated as exc:
            configured = settings.review_chat_id
            if configured is not None:
                await review_chat_moved(
                    services.store, configured, chat_id, exc.new_chat_id, services.clock.now()
                )
            log.warning("review_chat_migrated", new_chat_id=exc.new_chat_id)
            self.wake()
            return False
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            services.review_budget.refund()
            services.review_budget.pause(wait.total_seconds())
            await post_failed(services.store, task, "retry_after", now, wait)
            return False
        except Forbidden as exc:
            log.error(
                "review_chat_unreachable",
                hint="add the bot to the review chat with the right to post; cases stay queued",
                error=exc.message,
            )
            await post_failed(services.store, task, exc.message, now)
            return False
        except TelegramError as exc:
            log.warning("case_post_failed", case_id=task.case_id, error_type=type(exc).__name__)
            await post_failed(services.store, task, f"{type(exc).__name__}: {exc}", now)
        return True

    async def _send_post(
        self,
        application: BotApplication,
        services: Services,
        task: PostTask,
        chat_id: int,
        text: str,
        keyboard: InlineKeyboardMarkup | None,
    ) -> _Accepted:
        """Sends a case post, written down as begun first: a kill before it is recorded leaves
        a copy in the chat that the next post then says may be above it (0019)."""
        await send_begun(services.store, task.case_id, services.clock.now())
        with watch_answers() as watch:
            try:
                sent = await application.bot.send_message(
                    chat_id,
                    text,
                    reply_markup=keyboard,
                    message_thread_id=services.settings.review_thread_id,
                )
            except TelegramError as exc:
                if not watch.lost and _refused(exc):
                    await send_refused(services.store, task.case_id)
                raise
        return _Accepted(task, chat_id, sent.message_id, watch.lost)

    async def _record_post(
        self,
        services: Services,
        accepted: _Accepted,
        now: datetime,
        undo_until: datetime | None,
    ) -> None:
        """`undo_until`: the end of the undo window the post's Undo button shows, if any."""
        task, post = accepted.task, PostRef(accepted.chat_id, accepted.message_id)
        if task.message_id is not None:
            await mark_reposted(
                services.store,
                task,
                post.chat_id,
                post.message_id,
                now,
                lost=accepted.lost,
                redraw_at=undo_until,
            )
        elif not await mark_posted(
            services.store,
            task,
            post.chat_id,
            post.message_id,
            now,
            lost=accepted.lost,
            redraw_at=undo_until,
        ):
            # A moderator pressed an unrecorded earlier post meanwhile and it became the
            # case's post: this one is the copy now, and goes at once.
            log.info("case_post_superseded", case_id=task.case_id, message_id=post.message_id)
            await lost_race(services.store, task.case_id, post, now)
            self.wake()
            return
        log.info("case_posted", case_id=task.case_id, message_id=post.message_id)

    async def _copies(self, application: BotApplication, services: Services) -> None:
        """Copies Telegram named that their finder could not retire: deleted or disarmed."""
        budget = services.review_budget
        for task in await due_copies(services.store, services.clock.now()):
            if self._stopping.is_set():
                return
            await budget.pace()
            if not budget.try_spend(0):
                return
            views = review_views(application, services)
            if not await retire_copy(application.bot, services, views, task):
                return

    async def _repost(
        self,
        application: BotApplication,
        services: Services,
        task: PostTask,
        chat_id: int,
        text: str,
        view: CaseView,
        undo_until: datetime | None,
    ) -> bool:
        """Someone deleted the case message: the case is posted again, once."""
        now = services.clock.now()
        views = review_views(application, services)
        log.warning("case_message_gone", case_id=task.case_id, message_id=task.message_id)
        accepted = self._unrecorded_cases.get(task.case_id)
        if accepted is None:
            try:
                accepted = await self._send_post(
                    application,
                    services,
                    task,
                    chat_id,
                    text,
                    views.keyboard(view, undo_until=undo_until),
                )
            except TelegramError as exc:
                log.warning(
                    "case_repost_failed", case_id=task.case_id, error_type=type(exc).__name__
                )
                await mark_lost(services.store, task, now)  # the next pass posts it afresh
                self.wake()
                return not isinstance(exc, RetryAfter | Forbidden | ChatMigrated)
            self._unrecorded_cases[task.case_id] = accepted
        await self._record_post(services, accepted, now, undo_until)
        del self._unrecorded_cases[task.case_id]
        return True

    async def _digest(
        self,
        application: BotApplication,
        services: Services,
        chat_id: int,
        reserve: int,
        overdue: Overdue,
    ) -> None:
        """One message tells the chat how big the backlog is when posting would take longer
        than a few minutes, and how many severe cases wait too long; it is refreshed now and
        then and cleared when both are."""
        settings = services.settings
        budget = services.review_budget
        threshold = (budget.per_minute - reserve) * settings.backlog_digest_minutes
        backlog = await backlog_size(services.store)
        digest = await current_digest(services.store)
        now = services.clock.now()
        if digest is not None and digest.chat_id != chat_id:
            digest = None  # the chat moved: the old digest is in a chat nobody reads
        action = digest_due(digest, backlog, threshold, now, overdue.count)
        if action is None:
            return
        await budget.pace()
        if not budget.try_spend(0):
            return
        views = review_views(application, services)
        bot = application.bot
        minutes = settings.sla_severe_pending_minutes
        current = views.digest_text(backlog, budget.per_minute - reserve, overdue, minutes)
        try:
            if action == "post":
                sent = await bot.send_message(
                    chat_id, current, message_thread_id=settings.review_thread_id
                )
                await digest_shown(
                    services.store,
                    chat_id,
                    sent.message_id,
                    backlog,
                    now,
                    new=True,
                    severe=overdue.count,
                )
                log.warning(
                    "review_backlog", backlog=backlog, threshold=threshold, severe=overdue.count
                )
            elif digest is not None:
                text = current if action == "refresh" else views.digest_cleared_text()
                try:
                    await bot.edit_message_text(
                        text, chat_id=digest.chat_id, message_id=digest.message_id
                    )
                except BadRequest as exc:
                    if not (is_not_modified(exc) or is_message_gone(exc)):
                        raise
                if action == "refresh":
                    await digest_shown(
                        services.store,
                        chat_id,
                        digest.message_id,
                        backlog,
                        now,
                        new=False,
                        severe=overdue.count,
                    )
                else:
                    await digest_cleared(services.store, digest, now)
        except RetryAfter as exc:
            budget.refund()
            budget.pause(_seconds(exc.retry_after).total_seconds())
        except TelegramError as exc:
            log.warning("digest_failed", error_type=type(exc).__name__)

    # --- notifications --------------------------------------------------------------------

    async def _notifications(self, application: BotApplication, services: Services) -> None:
        now = services.clock.now()
        for notification in await due_notifications(services.store, now):
            if self._stopping.is_set():
                return
            await self._send_one(application, services, notification)

    async def _send_one(
        self, application: BotApplication, services: Services, notification: Notification
    ) -> None:
        now = services.clock.now()
        text = render_notification(application, services, notification)
        if text is None:
            await notification_failed(
                services.store, notification, "unknown kind", now, permanent=True
            )
            return
        if notification.id in self._unrecorded_notifications:
            await notification_sent(services.store, notification, now)  # sent on a past pass
            self._unrecorded_notifications.discard(notification.id)
            return
        try:
            await application.bot.send_message(notification.chat_id, text)
        except RetryAfter as exc:
            await notification_failed(
                services.store, notification, "retry_after", now, wait=_seconds(exc.retry_after)
            )
        except Forbidden as exc:  # blocked the bot: nothing will ever get through
            await notification_failed(
                services.store, notification, exc.message, now, permanent=True
            )
        except BadRequest as exc:
            permanent = "chat not found" in exc.message.lower()
            await notification_failed(
                services.store, notification, exc.message, now, permanent=permanent
            )
        except TelegramError as exc:
            await notification_failed(services.store, notification, type(exc).__name__, now)
        else:
            self._unrecorded_notifications.add(notification.id)
            await notification_sent(services.store, notification, now)
            self._unrecorded_notifications.discard(notification.id)


def review_views(application: BotApplication, services: Services) -> ReviewViews:
    return build_review_views(
        services.texts, services.settings.report_categories, application.bot.username
    )


def render_notification(
    application: BotApplication, services: Services, notification: Notification
) -> str | None:
    payload = notification.payload
    language = payload.get("language")
    language_code = language if isinstance(language, str) else None
    if notification.kind == APPEAL_OUTCOME_KIND:
        return services.texts.render(
            language_code,
            f"notify.appeal.{payload.get('decision')}",
            appeal_id=payload.get("appeal_id"),
        )
    if notification.kind == LEDGER_CHECKPOINT_KIND:
        what = services.texts.render(language_code, f"notify.ledger.{payload.get('entry_kind')}")
        return services.texts.render(
            language_code,
            "notify.ledger.checkpoint",
            seq=payload.get("seq"),
            what=what,
            request_id=payload.get("request_id"),
            by=payload.get("by"),
            hash=payload.get("entry_hash"),
        )
    if notification.kind == NOTICE_KIND:
        return services.texts.render(
            language_code,
            "notify.severe_wait",
            count=payload.get("count"),
            minutes=payload.get("minutes"),
            case_id=payload.get("case_id"),
            since=when_text(datetime.fromisoformat(str(payload.get("since")))),
        )
    if notification.kind != OUTCOME_KIND:
        return None
    reports = ReportViews(
        services.texts, services.settings.report_categories, application.bot.username
    )
    category = payload.get("category")
    label = reports.category_label(str(category), language_code) if category else ""
    return services.texts.render(
        language_code,
        f"notify.outcome.{payload.get('decision')}",
        report_id=payload.get("report_id"),
        category=label,
    )


def _refused(error: TelegramError) -> bool:
    """Telegram answered the call with a refusal (4xx): it was not applied. A timeout, a
    dropped connection or a 5xx may have been (PTB raises NetworkError for those)."""
    return isinstance(error, BadRequest) or not isinstance(error, NetworkError)


def _seconds(value: timedelta | float) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)
