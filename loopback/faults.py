"""Injected failures: per method or for a seeded share of calls, for tests and benchmarks.

A "delay" holds a call for a number of seconds; a "hold" holds it until the test says
(`FaultRule.release`) or the server stops, so a test that needs a call in flight at a given
moment (a kill, a stop, a second copy of an update) sets that moment instead of waiting out a
delay long enough to be sure.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["retry_after", "server_error", "bad_gateway", "error", "delay", "hold", "drop"]
DropMoment = Literal["before", "after"]
_KINDS = frozenset({"retry_after", "server_error", "bad_gateway", "error", "delay", "hold", "drop"})
#: Kinds that hold a call up and then let it go on (the rest answer it with a failure).
WAITING_KINDS = frozenset({"delay", "hold"})


@dataclass(eq=False)
class FaultRule:
    """One injected fault; `hits` counts how often it fired."""

    method: str
    kind: FaultKind
    times: int | None = None
    share: float = 1.0
    chat_id: int | None = None
    retry_after: int = 1
    delay: float = 0.0
    #: A drop or delay "before" the call is applied, or "after" (applied, answer held back).
    when: DropMoment = "before"
    error_code: int = 400
    description: str = "Bad Request: injected failure"
    seed: int | None = None
    hits: int = 0
    _random: random.Random = field(init=False, repr=False)
    _released: asyncio.Event = field(init=False, repr=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {sorted(_KINDS)}")
        if not 0.0 <= self.share <= 1.0:
            raise ValueError("share is a probability between 0 and 1")
        self._random = random.Random(self.seed)

    def release(self) -> None:
        """A "hold": the calls it holds go on, and calls it fires on from now are not held."""
        self._released.set()

    async def wait(self) -> None:
        """Holds the call: `delay` seconds, or for a "hold" until `release`."""
        if self.kind == "hold":
            await self._released.wait()
        else:
            await asyncio.sleep(self.delay)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def applies_to(self, method: str, chat_id: str | None) -> bool:
        if self.exhausted or (self.method != "*" and self.method.lower() != method.lower()):
            return False
        return self.chat_id is None or chat_id == str(self.chat_id)

    def fires(self) -> bool:
        """Counts a hit when the seeded draw says this call is affected."""
        if self.share < 1.0 and self._random.random() >= self.share:
            return False
        self.hits += 1
        return True


class FaultInjector:
    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._holds: list[FaultRule] = []  # cleared or not: released when the server stops

    @property
    def rules(self) -> tuple[FaultRule, ...]:
        return tuple(self._rules)

    def inject(
        self,
        method: str,
        *,
        kind: FaultKind,
        times: int | None = None,
        share: float = 1.0,
        seed: int | None = 0,
        chat_id: int | None = None,
        retry_after: int = 1,
        delay: float = 0.0,
        when: DropMoment = "before",
        error_code: int = 400,
        description: str = "Bad Request: injected failure",
    ) -> FaultRule:
        """Adds a rule; `method` is a Bot API method name (any case) or "*" for all."""
        rule = FaultRule(
            method=method,
            kind=kind,
            times=times,
            share=share,
            chat_id=chat_id,
            retry_after=retry_after,
            delay=delay,
            when=when,
            error_code=error_code,
            description=description,
            seed=seed,
        )
        self._rules.append(rule)
        if kind == "hold":
            self._holds.append(rule)
        return rule

    def clear(self) -> None:
        """No new call is affected; calls a "hold" holds stay held until it is released."""
        self._rules.clear()

    def release_all(self) -> None:
        """Every "hold" lets its calls go (the server is stopping)."""
        for rule in self._holds:
            rule.release()

    def firing(self, method: str, chat_id: str | None) -> list[FaultRule]:
        """The rules that fire for this call: every delay, then at most one other fault."""
        fired: list[FaultRule] = []
        failure_chosen = False
        for rule in self._rules:
            if not rule.applies_to(method, chat_id):
                continue
            if rule.kind not in WAITING_KINDS and failure_chosen:
                continue
            if rule.fires():
                fired.append(rule)
                failure_chosen = failure_chosen or rule.kind not in WAITING_KINDS
        return fired
