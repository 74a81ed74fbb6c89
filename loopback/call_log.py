"""Summaries of recent API calls, so a failed wait says what the bot was doing."""

from __future__ import annotations

from collections.abc import Sequence

from loopback.records import ApiCall


def describe_calls(calls: Sequence[ApiCall], last: int = 8) -> str:
    if not calls:
        return "no Bot API calls yet"
    lines = []
    for call in calls[-last:]:
        outcome = (
            "pending"
            if call.pending
            else "ok"
            if call.ok
            else f"{call.error_code} {call.description}"
        )
        lines.append(f"  {call.method} -> {outcome}")
    return f"last {len(lines)} of {len(calls)} Bot API calls:\n" + "\n".join(lines)
