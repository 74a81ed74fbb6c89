"""Injected failures: per method or for a seeded share of calls, for tests and benchmarks."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["retry_after", "server_error", "bad_gateway", "error", "delay", "drop"]
DropMoment = Literal["before", "after"]
_KINDS = frozenset({"retry_after", "server_error", "bad_gateway", "error", "delay", "drop"})


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

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {sorted(_KINDS)}")
        if not 0.0 <= self.share <= 1.0:
            raise ValueError("share is a probability between 0 and 1")
        self._random = random.Random(self.seed)

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
        return rule

    def clear(self) -> None:
        self._rules.clear()

    def firing(self, method: str, chat_id: str | None) -> list[FaultRule]:
        """The rules that fire for this call: every delay, then at most one other fault."""
        fired: list[FaultRule] = []
        failure_chosen = False
        for rule in self._rules:
            if not rule.applies_to(method, chat_id):
                continue
            if rule.kind != "delay" and failure_chosen:
                continue
            if rule.fires():
                fired.append(rule)
                failure_chosen = failure_chosen or rule.kind != "delay"
        return fired
