"""Notifications users are owed (decisions on their reports, appeal outcomes, ledger
checkpoints, periodic signed ledger heads and legal role changes for legal officers,
severe-wait notices for admins), sent from the outbox in each person's language and retried
with backoff until Telegram accepts or refuses for good.

A notification Telegram accepted whose record failed is remembered, so the next pass records it
instead of sending it again. Every instance sends them, each claimed first
(moderation/review/delivery.py), so none waits for the leader.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from handlers.i18n import Html
from handlers.outbound.review_poster import seconds
from handlers.report_views import ReportViews
from handlers.review_views import when_text
from handlers.runtime.context import BotApplication, Services
from moderation.legal.disclosure import LEDGER_CHECKPOINT_KIND
from moderation.legal.ledger_heads import PERIODIC_HEAD_KIND
from moderation.reporting.filing import reported_target
from moderation.reporting.targets import TargetRef
from moderation.review.appeals import APPEAL_OUTCOME_KIND
from moderation.review.decisions import OUTCOME_KIND
from moderation.review.delivery import (
    claim_notification,
    notification_failed,
    notification_sent,
    release_notification,
)
from moderation.review.severe_waits import NOTICE_KIND
from moderation.review.types import Notification
from moderation.staff.commands import ROLE_CHANGE_KIND

#: Notifications sent per pass at most (the pass then turns to the review chat again).
BATCH: Final = 20


class Notifier:
    def __init__(self) -> None:
        self._unrecorded: set[int] = set()

    async def send_due(
        self,
        application: BotApplication,
        services: Services,
        stopping: Callable[[], bool],
        batch: int = BATCH,
    ) -> None:
        """Sends up to `batch` due notifications, each claimed first: any instance may send
        them, none sends one another instance is sending."""
        claim = timedelta(seconds=services.settings.outbox_claim_seconds)
        for _ in range(batch):
            if stopping():
                return
            now = services.clock.now()
            notification = await claim_notification(services.store, now, now + claim)
            if notification is None:
                return
            try:
                await self._send_one(application, services, notification)
            finally:
                await release_notification(
                    services.store, notification, now + claim, services.clock.now()
                )

    async def _send_one(
        self, application: BotApplication, services: Services, notification: Notification
    ) -> None:
        now = services.clock.now()
        target = None
        if notification.kind == OUTCOME_KIND and isinstance(
            report_id := notification.payload.get("report_id"), int
        ):
            target = await reported_target(services.store, report_id)
        text = render_notification(application, services, notification, target)
        if text is None:
            await notification_failed(
                services.store, notification, "unknown kind", now, permanent=True
            )
            return
        if notification.id in self._unrecorded:
            await notification_sent(services.store, notification, now)  # sent on a past pass
            self._unrecorded.discard(notification.id)
            return
        try:
            await application.bot.send_message(notification.chat_id, text)
        except RetryAfter as exc:
            await notification_failed(
                services.store, notification, "retry_after", now, wait=seconds(exc.retry_after)
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
            self._unrecorded.add(notification.id)
            await notification_sent(services.store, notification, now)
            self._unrecorded.discard(notification.id)


def render_notification(
    application: BotApplication,
    services: Services,
    notification: Notification,
    target: TargetRef | None = None,
) -> str | None:
    """The notification's text; `target`: what an outcome's report named, as it named it."""
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
    if notification.kind == PERIODIC_HEAD_KIND:
        return _periodic_head(services, language_code, payload)
    if notification.kind == ROLE_CHANGE_KIND:
        return _role_change(services, language_code, payload)
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
    named = (
        reports.target(target, language_code)
        if target is not None
        else services.texts.render(language_code, "notify.outcome.target_gone")
    )
    return services.texts.render(
        language_code,
        f"notify.outcome.{payload.get('decision')}",
        report_id=payload.get("report_id"),
        category=label,
        target=Html(named),
    )


def _periodic_head(
    services: Services, language_code: str | None, payload: Mapping[str, Any]
) -> str:
    """The signed head, in a form `report-bot ledger verify --head` takes as it is pasted."""
    text = services.texts.render(
        language_code,
        "notify.ledger.head",
        seq=payload.get("seq"),
        hash=payload.get("entry_hash"),
        signed=payload.get("signed"),
        at=when_text(datetime.fromisoformat(str(payload.get("at")))),
    )
    behind = payload.get("behind")
    if behind is None:
        return text
    warning = services.texts.render(language_code, "notify.ledger.head_behind", previous=behind)
    return f"{text}\n\n{warning}"


def _role_change(
    services: Services, language_code: str | None, payload: Mapping[str, Any]
) -> str | None:
    """A legal role proposed, confirmed, withdrawn or revoked, as every legal officer is told."""
    texts = services.texts

    def person(user_id: object, username: object = None) -> Html:
        if isinstance(username, str) and username:
            return Html(
                texts.render(
                    language_code, "staff.person.named", username=username, user_id=user_id
                )
            )
        return Html(texts.render(language_code, "staff.person.id", user_id=user_id))

    event = payload.get("event")
    if event not in ("proposed", "confirmed", "withdrawn", "revoked"):
        return None
    return texts.render(
        language_code,
        f"notify.role.{event}",
        person=person(payload.get("user_id"), payload.get("username")),
        by=person(payload.get("by")),
        proposer=person(payload.get("proposed_by")),
    )
