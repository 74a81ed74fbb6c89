"""Which post of a case a press or reply touched: the rule behind retiring copies."""

from __future__ import annotations

import pytest

from moderation.review.case_copies import PostRef, PostRole, role_of
from moderation.review.copy_count import copies_after_send

LIVE = PostRef(-1001, 20)
COPY = PostRef(-1001, 17)


@pytest.mark.parametrize(
    ("recorded", "pressed", "owner", "role"),
    [
        (LIVE, LIVE, 7, PostRole.LIVE),  # the recorded post of the case
        (LIVE, COPY, None, PostRole.COPY),  # the case's buttons on a message never recorded
        (None, COPY, None, PostRole.ADOPT),  # nothing recorded yet: the copy becomes the post
        (LIVE, COPY, 8, PostRole.FOREIGN),  # another case's post: never retired for case 7
        (None, COPY, 8, PostRole.FOREIGN),
        (LIVE, PostRef(-1002, 20), None, PostRole.COPY),  # same id, another chat
    ],
)
def test_a_message_with_a_cases_buttons_is_its_live_post_a_copy_or_adopted(
    recorded: PostRef | None, pressed: PostRef, owner: int | None, role: PostRole
) -> None:
    assert role_of(7, recorded, pressed, owner) is role


@pytest.mark.parametrize(
    ("unsettled", "lost", "copies"),
    [
        (1, 0, 0),  # the one attempt made it and was recorded
        (2, 0, 1),  # an attempt before a kill may have landed
        (3, 0, 2),
        (1, 1, 1),  # this call's first attempt lost its answer, the retry was answered
        (2, 2, 3),
        (0, 0, 0),  # recorded from memory after a failed write (no attempt counted)
    ],
)
def test_a_recorded_post_may_have_one_copy_per_other_unsettled_attempt_or_lost_answer(
    unsettled: int, lost: int, copies: int
) -> None:
    assert copies_after_send(unsettled, lost) == copies
