"""At LOG_LEVEL=INFO the log holds the bot's own events; libraries' routine lines (the
scheduler's every job run, PTB's start and stop) are DEBUG, shown only at LOG_LEVEL=DEBUG."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import (  # type: ignore[import-untyped]  # APScheduler 3 ships no types
    EVENT_JOB_EXECUTED,
    JobExecutionEvent,
)

from bot.logging_setup import OUR_PACKAGES
from bot.settings import LogLevel
from tests.conftest import RunningBot


async def _run_a_job_now(bot: RunningBot, name: str) -> None:
    """Runs the bot's job `name` at once (not at its first time) and returns once the
    scheduler says it was executed."""
    job_queue = bot.application.job_queue
    assert job_queue is not None
    ran = asyncio.Event()
    (job,) = job_queue.get_jobs_by_name(name)

    def executed(event: JobExecutionEvent) -> None:
        if event.job_id == job.job.id:
            ran.set()

    job_queue.scheduler.add_listener(executed, EVENT_JOB_EXECUTED)
    job.job.modify(next_run_time=datetime.now(UTC))
    await asyncio.wait_for(ran.wait(), timeout=30)
    job_queue.scheduler.remove_listener(executed)


def _lines(bot: RunningBot) -> list[dict[str, Any]]:
    return [json.loads(line) for line in bot.log_text().splitlines() if line.strip()]


async def test_at_info_a_job_run_logs_no_library_chatter(
    start_bot: Callable[..., Any],
) -> None:
    """issue 28, point 13: at INFO the scheduler logged "Running job ... executed
    successfully" every 30 seconds."""
    bot: RunningBot = await start_bot(log_level=LogLevel.INFO)
    await _run_a_job_now(bot, "drafts")
    await bot.shutdown()
    lines = _lines(bot)
    foreign = [
        line for line in lines if str(line.get("logger", "")).partition(".")[0] not in OUR_PACKAGES
    ]
    assert [line for line in foreign if line["level"] in {"debug", "info"}] == []
    assert not any("Running job" in line["event"] for line in lines)
    events = {line["event"] for line in lines}
    assert {"bot_started", "bot_stopped"} <= events  # our own INFO lines stay


async def test_at_debug_the_libraries_lines_are_there_as_debug(
    start_bot: Callable[..., Any],
) -> None:
    """issue 28, point 13: the chatter is moved to DEBUG, not dropped."""
    bot: RunningBot = await start_bot(log_level=LogLevel.DEBUG)
    await _run_a_job_now(bot, "drafts")
    await bot.shutdown()
    scheduler = [line for line in _lines(bot) if line.get("logger", "").startswith("apscheduler")]
    assert any("Running job" in line["event"] for line in scheduler)
    assert {line["level"] for line in scheduler} == {"debug"}
