"""The guided report when an answer already handled is handled again (a takeover after a
crash): the question it sends again is the one that asks, and a press on the first copy moves
the report on there, so the newest message is never a question already answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderation.ports import ResolvedChat
from moderation.reporting.categories import DEFAULT_CATEGORIES, parse_categories
from moderation.reporting.drafts import Step
from moderation.reporting.guided import handle, note_shown
from moderation.reporting.guided_inputs import (
    Action,
    ButtonInput,
    CommandInput,
    Event,
    Input,
    Reporter,
    TextInput,
)
from moderation.reporting.guided_replies import Prompt, Reply, Submitted
from moderation.reporting.guided_steps import FlowConfig
from moderation.reporting.types import ReportLimits
from storage import Store

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
RITA = Reporter(user_id=501, chat_id=501, language_code="en")
CONFIG = FlowConfig(
    categories=parse_categories(DEFAULT_CATEGORIES),
    limits=ReportLimits(per_hour=10, per_day=10),
    timeout=timedelta(minutes=30),
)
FIRST_COPY, SECOND_COPY = 11, 13  # the bot's question, and the same question sent again


class NoLookups:
    """These answers name no @username: nothing is looked up on Telegram."""

    async def resolve(self, username: str) -> ResolvedChat | None:
        raise AssertionError(f"no lookup expected, got @{username}")


async def step(store: Store, update_id: int, value: Input) -> Reply:
    return await handle(store, NoLookups(), Event(RITA, value, update_id), CONFIG, NOW)


async def test_a_press_on_the_first_copy_moves_the_report_on_in_the_newest_copy(
    store: Store,
) -> None:
    """issue 29, point 2: after a crash mid-answer, the question sent again was left asking a
    step the reporter's press on the first copy had answered meanwhile."""
    await step(store, 1, CommandInput("report"))
    asked = await step(store, 2, TextInput("cheap pills"))
    assert isinstance(asked, Prompt)
    assert asked.draft.step is Step.RESULT
    assert not asked.again
    # Another instance takes update 2 over: handled already, its reply maybe lost.
    again = await step(store, 2, TextInput("cheap pills"))
    assert isinstance(again, Prompt)
    assert again.again
    assert again.draft.step is Step.RESULT
    await note_shown(store, again.draft, SECOND_COPY)

    draft_id = asked.draft.draft_id
    moved = await step(store, 3, ButtonInput(Action.TERM, draft_id, message_id=FIRST_COPY))
    assert isinstance(moved, Prompt)
    assert moved.draft.step is Step.CATEGORY
    assert moved.draft.shown_in == SECOND_COPY  # shown in the newest copy, not the pressed one

    chosen = await step(
        store, 4, ButtonInput(Action.CATEGORY, draft_id, "drugs", message_id=SECOND_COPY)
    )
    assert isinstance(chosen, Prompt)
    assert chosen.draft.step is Step.COMMENT
    typed = await step(store, 5, TextInput("seen in the search today"))
    assert isinstance(typed, Prompt)
    assert typed.draft.step is Step.CONFIRM
    assert typed.draft.shown_in is None  # a typed answer's reply is a new message


async def test_the_copy_is_not_recorded_once_the_report_moved_on(store: Store) -> None:
    """issue 29, point 2: a copy recorded for a step already left would draw the next step
    into an old message."""
    await step(store, 1, CommandInput("report"))
    await step(store, 2, TextInput("cheap pills"))
    again = await step(store, 2, TextInput("cheap pills"))
    assert isinstance(again, Prompt)
    await step(store, 3, ButtonInput(Action.TERM, again.draft.draft_id, message_id=FIRST_COPY))
    await note_shown(store, again.draft, SECOND_COPY)
    async with store.reading() as uow:
        draft = await uow.drafts.get(RITA.user_id)
    assert draft is not None
    assert draft.step is Step.CATEGORY
    assert draft.shown_in is None


async def test_a_submit_on_the_first_copy_is_answered_in_the_newest(store: Store) -> None:
    """issue 29, point 2: the summary sent again after a crash kept its Submit button once
    the report was filed from the first copy: one receipt, in the newest message."""
    await step(store, 1, CommandInput("report"))
    asked = await step(store, 2, TextInput("cheap pills"))
    assert isinstance(asked, Prompt)
    draft_id = asked.draft.draft_id
    await step(store, 3, ButtonInput(Action.TERM, draft_id, message_id=FIRST_COPY))
    await step(store, 4, ButtonInput(Action.CATEGORY, draft_id, "drugs", message_id=FIRST_COPY))
    await step(store, 5, TextInput("seen in the search today"))
    again = await step(store, 5, TextInput("seen in the search today"))
    assert isinstance(again, Prompt)
    assert again.draft.step is Step.CONFIRM
    await note_shown(store, again.draft, SECOND_COPY)
    filed = await step(store, 6, ButtonInput(Action.SUBMIT, draft_id, message_id=FIRST_COPY))
    assert isinstance(filed, Submitted)
    assert filed.shown_in == SECOND_COPY
    async with store.reading() as uow:
        assert await uow.reports.id_for_draft(draft_id) is not None
