"""Report and private-review buttons' callback data: typed, versioned, within 64 bytes,
forged data refused."""

from __future__ import annotations

import pytest

from handlers.callback_data import (
    PrivateAction,
    PrivateButton,
    parse_private_button,
    parse_report_button,
    private_button,
    report_button,
)
from moderation.reporting.guided_inputs import Action, ButtonInput


@pytest.mark.parametrize("action", list(Action))
def test_every_button_round_trips(action: Action) -> None:
    data = report_button(action, 2**48, "illegal_goods")
    assert len(data.encode()) <= 64
    assert parse_report_button(data) == ButtonInput(action, 2**48, "illegal_goods")


@pytest.mark.parametrize(
    "forged",
    [
        None,
        "",
        "r1",
        "r2:submit:1:",
        "r1:explode:1:",
        "r1:submit:-1:",
        "r1:submit:1:UPPER",
        "r1:submit:1:x:y",
        "r1:cat:1:" + "a" * 60,
        "r1:submit:1:\u0430",
    ],
)
def test_forged_data_is_refused(forged: str | None) -> None:
    assert parse_report_button(forged) is None


@pytest.mark.parametrize("action", list(PrivateAction))
def test_every_private_review_button_round_trips(action: PrivateAction) -> None:
    """The buttons of a case /review serves in a private chat (p1), with the longest case id
    and category key."""
    data = private_button(action, 10**18 - 1, "illegal_goods")
    assert len(data.encode()) <= 64
    assert parse_private_button(data) == PrivateButton(action, 10**18 - 1, "illegal_goods")


@pytest.mark.parametrize(
    "forged",
    [None, "p1", "p1:next:0", "p2:next:0:", "p1:explode:1:", "p1:skip:-1:", "c1:approve:1:"],
)
def test_forged_private_review_data_is_refused(forged: str | None) -> None:
    assert parse_private_button(forged) is None
