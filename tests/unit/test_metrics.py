"""Metrics wiring: a registry per Application, failure kinds, handler labels, running totals."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from prometheus_client import generate_latest

from handlers import report
from handlers.runtime.metrics import BotMetrics, handler_name
from handlers.runtime.telegram_health import FailureKind, TelegramHealth, kind_of_status, method_of
from moderation.stats.operating import CountsAfter, RunningTotal


def test_each_bot_metrics_has_its_own_registry() -> None:
    first, second = BotMetrics(TelegramHealth()), BotMetrics(TelegramHealth())
    first.handler_seconds.labels("start.start").observe(0.01)
    assert b'handler="start.start"' in generate_latest(first.registry)
    assert b'handler="start.start"' not in generate_latest(second.registry)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, FailureKind.RETRY_AFTER),
        (400, FailureKind.BAD_REQUEST),
        (403, FailureKind.FORBIDDEN),
        (401, FailureKind.UNAUTHORIZED),
        (404, FailureKind.UNAUTHORIZED),
        (409, FailureKind.CONFLICT),
        (500, FailureKind.SERVER_ERROR),
        (502, FailureKind.SERVER_ERROR),
        (418, FailureKind.OTHER_HTTP),
    ],
)
def test_an_error_answer_is_classified_by_its_status(status: int, kind: FailureKind) -> None:
    assert kind_of_status(status, b'{"ok": false}') is kind


def test_a_group_upgrade_is_told_apart_from_other_bad_requests() -> None:
    body = json.dumps({"ok": False, "parameters": {"migrate_to_chat_id": -100123}}).encode()
    assert kind_of_status(400, body) is FailureKind.CHAT_MIGRATED


def test_the_method_is_taken_from_the_url_without_the_token() -> None:
    url = "https://api.telegram.org/bot123456789:SECRET-token-value/sendMessage"
    assert method_of(url) == "sendMessage"


def test_the_last_failure_and_the_counts_by_kind_are_kept() -> None:
    moments = iter([datetime(2026, 1, 1, 10, tzinfo=UTC), datetime(2026, 1, 1, 11, tzinfo=UTC)])
    health = TelegramHealth(lambda: next(moments))
    health.record(FailureKind.TIMED_OUT, "getUpdates")
    health.record(FailureKind.FORBIDDEN, "sendMessage", 403)
    assert health.last is not None
    assert (health.last.kind, health.last.method, health.last.at.hour) == (
        FailureKind.FORBIDDEN,
        "sendMessage",
        11,
    )
    assert health.counts() == {FailureKind.TIMED_OUT: 1, FailureKind.FORBIDDEN: 1}


def test_handlers_are_labelled_by_module_and_function() -> None:
    assert handler_name(report.report_command) == "report.report_command"


def test_a_running_total_adds_batches_and_remembers_where_it_stopped() -> None:
    total = RunningTotal()
    total.add(CountsAfter(last_id=3, counts={"drugs": 2, "scam": 1}))
    total.add(CountsAfter(last_id=5, counts={"drugs": 2}))
    assert total.counts() == {"drugs": 4, "scam": 1}
    assert total.last_id == 5
