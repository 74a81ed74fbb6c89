"""The guided report as a state machine over a stored draft.

`handle` takes one reporter event (a message, a button press, a command), applies it to the
reporter's draft inside one transaction and returns a typed reply for the Telegram glue to
render. A draft lives in the database, so a restart resumes where the reporter was; every state
change records the update id, so a redelivered update changes nothing twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

from moderation.ports import ChatResolver, ReportingStore, ReportingUnit
from moderation.reporting.drafts import Draft
from moderation.reporting.filing import REDELIVERY_WINDOW
from moderation.reporting.guided_inputs import Event, TextInput, result_text
from moderation.reporting.guided_replies import (
    HoldReason,
    OnHold,
    Outside,
    Prompt,
    Reply,
    Submitted,
)
from moderation.reporting.guided_steps import FlowConfig, GuidedStep
from moderation.reporting.target_links import parse_result
from moderation.reporting.targets import ParseProblem, TargetRef
from moderation.reporting.types import AlreadyFiled


async def handle(
    store: ReportingStore,
    resolver: ChatResolver,
    event: Event,
    config: FlowConfig,
    now: datetime,
) -> Reply:
    # Telegram lookups happen before the transaction, which must stay short: text that names
    # a public @username is resolved now in case the draft reads it as the unsafe result.
    resolution: tuple[str, TargetRef] | None = None
    value = event.input
    if isinstance(value, TextInput) and value.mention is None:
        guess = parse_result(result_text(value))
        if isinstance(guess, TargetRef) and guess.username and guess.chat_id is None:
            resolved = await resolve_target(resolver, guess, config)
            if isinstance(resolved, TargetRef):
                resolution = (guess.key, resolved)
    async with store.transaction() as uow:
        if not await uow.updates.mark_processed(event.update_id, now):
            return await _redelivered(uow, event, now)
        return await GuidedStep(uow, event, config, now, resolution).run()


async def hold_open_report(
    store: ReportingStore, user_id: int, config: FlowConfig, now: datetime
) -> Draft | None:
    """A command outside the report (/start, /help, /myreports ...) puts an open report on
    hold, so the reporter's next message is not silently taken as its answer. Returns the
    held draft, or None when there is no open report (an expired one is left to the sweep)."""
    async with store.reading() as uow:  # most commands come with no report open: no write
        draft = await uow.drafts.get(user_id)
    if draft is None or draft.expired(now):
        return None
    async with store.transaction() as uow:
        draft = await uow.drafts.get(user_id)
        if draft is None or draft.expired(now):
            return None
        held = replace(draft.touched(now, config.timeout), on_hold=True)
        await uow.drafts.save(held)
        return held


async def expire_drafts(store: ReportingStore, now: datetime, limit: int = 100) -> list[Draft]:
    """Drops drafts idle past their timeout; the caller tells each reporter."""
    async with store.transaction() as uow:
        expired = await uow.drafts.take_expired(now, limit)
        for draft in expired:
            await uow.audit.append(
                at=now,
                actor_id=draft.user_id,
                action="report.draft_expired",
                subject_type="draft",
                subject_id=draft.draft_id,
            )
        return expired


async def _redelivered(uow: ReportingUnit, event: Event, now: datetime) -> Reply:
    """The update was handled before (a takeover after a crash, or Telegram's redelivery):
    change nothing, answer with where the report stands. The first reply may have gone out
    before the crash, so this question may be a second copy: `again` has the caller record
    it as the one that asks (`note_shown`), so a press on the first copy moves the report on
    in the newest message instead of leaving it a question already answered."""
    filed = await uow.reports.id_for_update(event.update_id, now - REDELIVERY_WINDOW)
    if filed is not None:
        return Submitted(AlreadyFiled(filed))
    draft = await uow.drafts.get(event.reporter.user_id)
    if draft is None:
        return Outside()
    return OnHold(draft, HoldReason.WAITING) if draft.on_hold else Prompt(draft, again=True)


async def note_shown(store: ReportingStore, shown: Draft, message_id: int) -> None:
    """Records `message_id` as the message that asks `shown`'s current step (a question sent
    again by `_redelivered`), unless the report moved on or ended since."""
    async with store.transaction() as uow:
        draft = await uow.drafts.get(shown.user_id)
        if draft is None or draft.draft_id != shown.draft_id or draft.step is not shown.step:
            return
        await uow.drafts.save(replace(draft, shown_in=message_id))


async def resolve_target(
    resolver: ChatResolver, found: TargetRef | ParseProblem | None, config: FlowConfig
) -> TargetRef | ParseProblem | None:
    if not isinstance(found, TargetRef) or found.username is None or found.chat_id is not None:
        return found
    try:
        chat = await asyncio.wait_for(resolver.resolve(found.username), config.resolve_timeout)
    except TimeoutError:
        chat = None
    return found if chat is None else found.resolved(chat.chat_id, chat.kind, chat.title)
