"""The explanation a private chat asks for after an "other" rejection
(moderation/review/explanations.py), on both engines: kept in the database so another instance
takes the answer, dropped once the rejection can no longer be undone, never deciding a case an
Undo made pending again, and left open by a text that is too long."""

from __future__ import annotations

from moderation.review.case_actions import ActionRefusal, Done, Refused
from moderation.review.explanations import (
    PendingExplanation,
    ask_explanation,
    drop_explanation,
    explain,
    pending_explanation,
)
from moderation.review.types import Decision, RejectReason
from storage import Store
from storage.location import Location
from tests.storage.test_review_rules import MODERATOR, UNDO, Desk

MESSAGE = 77  # the private chat's message that asked


async def test_the_question_is_kept_until_answered_and_lapses_with_the_undo_window(
    store: Store, store_location: Location
) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("why_case_x", [desk.reporter()])
    await desk.decide(case_id, Decision.REJECTED, MODERATOR, RejectReason.OTHER)
    asked_at = desk.now
    await ask_explanation(store, MODERATOR.user_id, case_id, MESSAGE, asked_at)
    other_instance = await Store.open(store_location)
    try:
        pending = await pending_explanation(other_instance, MODERATOR.user_id, desk.tick(), UNDO)
    finally:
        await other_instance.close()
    assert pending == PendingExplanation(case_id, MESSAGE, asked_at)

    async def answer(text: str) -> object:
        assert pending is not None
        return await explain(
            store, MODERATOR, pending, text, undo_window=UNDO, now=desk.tick(), policy=desk.rules
        )

    assert await answer("x" * 501) == Refused(ActionRefusal.TOO_LONG)
    assert await pending_explanation(store, MODERATOR.user_id, desk.now, UNDO) == pending
    done = await answer("Satire account")
    assert isinstance(done, Done)
    assert done.view.reject_note == "Satire account"
    assert await pending_explanation(store, MODERATOR.user_id, desk.now, UNDO) is None

    await ask_explanation(store, MODERATOR.user_id, case_id, MESSAGE, desk.now)
    lapsed = desk.now + UNDO
    assert await pending_explanation(store, MODERATOR.user_id, lapsed, UNDO) is None
    assert await drop_explanation(store, MODERATOR.user_id) is None  # dropped when read late


async def test_an_undone_rejection_is_not_decided_again_by_its_explanation(store: Store) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("undone_why_x", [desk.reporter()])
    await desk.decide(case_id, Decision.REJECTED, MODERATOR, RejectReason.OTHER)
    await ask_explanation(store, MODERATOR.user_id, case_id, MESSAGE, desk.now)
    await desk.undo(case_id)
    pending = await pending_explanation(store, MODERATOR.user_id, desk.tick(), UNDO)
    assert pending is not None
    outcome = await explain(
        store, MODERATOR, pending, "why", undo_window=UNDO, now=desk.tick(), policy=desk.rules
    )
    assert isinstance(outcome, Refused)
    assert outcome.reason is ActionRefusal.UNDONE
    assert (await desk.view(case_id)).status.value == "pending"
    assert await pending_explanation(store, MODERATOR.user_id, desk.now, UNDO) is None
