"""How many unknown copies a case post may have (moderation/review/case_copies.py has the why)."""

from __future__ import annotations


def copies_after_send(unsettled: int, lost: int) -> int:
    """At most how many copies of a post just recorded may exist: each other send attempt
    begun and never settled (a kill between Telegram accepting it and the record), and each
    attempt of this call whose answer was lost (Telegram may have applied it)."""
    return max(unsettled - 1, 0) + lost
