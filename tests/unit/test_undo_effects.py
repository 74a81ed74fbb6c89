"""What reversing a decision removes (moderation/review/undo.py), against recording fakes."""

from __future__ import annotations

from datetime import UTC, datetime

from moderation.legal.lookup import ViolatorCase
from moderation.review.undo import remove_decision_effects

AT = datetime(2025, 3, 1, tzinfo=UTC)


class Recorder:
    """Every port at once: records the calls in order, answers from what it was given."""

    def __init__(self, violator_id: int | None, remaining: list[ViolatorCase]) -> None:
        self.calls: list[tuple[object, ...]] = []
        self._violator_id = violator_id
        self._remaining = remaining

    async def remove_case(self, case_id: int) -> None:
        self.calls.append(("remove_case", case_id))

    async def restore_provisional(self, case_id: int) -> None:
        self.calls.append(("restore_provisional", case_id))

    async def violator_of(self, case_id: int) -> int | None:
        return self._violator_id

    async def unlink(self, case_id: int) -> None:
        self.calls.append(("unlink", case_id))

    async def set_span(
        self, violator_id: int, first_case: int, last_confirmed_at: datetime
    ) -> None:
        self.calls.append(("set_span", violator_id, first_case, last_confirmed_at))

    async def delete_violator(self, violator_id: int) -> None:
        self.calls.append(("delete_violator", violator_id))

    async def cases_of(self, violator_id: int) -> list[ViolatorCase]:
        return self._remaining

    async def purge(self, violator_id: int) -> int:
        self.calls.append(("purge", violator_id))
        return 1


async def test_a_violator_no_other_case_confirms_goes_with_its_timeline() -> None:
    fake = Recorder(violator_id=7, remaining=[])
    await remove_decision_effects(fake, fake, fake, 3)
    assert fake.calls == [
        ("remove_case", 3),
        ("unlink", 3),
        ("purge", 7),
        ("delete_violator", 7),
        ("restore_provisional", 3),
    ]


async def test_a_violator_other_cases_confirm_stays_and_dates_from_them() -> None:
    later = AT.replace(day=9)
    remaining = [ViolatorCase(5, "drugs", 1, AT), ViolatorCase(4, "drugs", 1, later)]
    fake = Recorder(violator_id=7, remaining=remaining)
    await remove_decision_effects(fake, fake, fake, 3)
    assert fake.calls == [
        ("remove_case", 3),
        ("unlink", 3),
        ("set_span", 7, 4, later),
        ("restore_provisional", 3),
    ]


async def test_a_rejection_being_undone_touches_no_violator() -> None:
    fake = Recorder(violator_id=None, remaining=[])
    await remove_decision_effects(fake, fake, fake, 3)
    assert fake.calls == [("remove_case", 3), ("restore_provisional", 3)]
