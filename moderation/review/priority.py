"""The order moderators see cases in, and when reporters' word alone hides a target.

A case's priority is its category's severity first (child sexual abuse material and terrorism
before anything else), then how many distinct reporters it has, each weighed by their track
record: a reporter whose reports were mostly approved counts for up to two, one whose reports
were mostly rejected for close to nothing, a newcomer for one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from moderation.reporting.categories import CUSTOM_SEVERITY, Categories

#: Severity is the leading term; reporters only order cases within one severity.
SEVERITY_SCALE: Final = 1000
MAX_REPORTER_SCORE: Final = SEVERITY_SCALE - 1
#: A trusted reporter: enough decided reports, nearly all of them approved.
TRUSTED_MIN_DECIDED: Final = 3
TRUSTED_MIN_APPROVED_SHARE: Final = 0.8


@dataclass(frozen=True, slots=True)
class ReporterRecord:
    reporter_id: int
    approved: int
    rejected: int

    @property
    def weight(self) -> float:
        """0..2 with 1 for no history (Laplace's rule on approved / decided)."""
        return 2 * (self.approved + 1) / (self.approved + self.rejected + 2)

    @property
    def trusted(self) -> bool:
        decided = self.approved + self.rejected
        return decided >= TRUSTED_MIN_DECIDED and (
            self.approved >= TRUSTED_MIN_APPROVED_SHARE * decided
        )


@dataclass(frozen=True, slots=True)
class CasePolicy:
    """How cases are ranked, provisionally hidden and reopened (from the settings)."""

    severity: Mapping[str, int] = field(default_factory=dict)
    #: Trusted distinct reporters that hide a pending case's target provisionally; 0 is off.
    provisional_reporters: int = 0
    #: How long a case must also have waited undecided, since it opened, before that hiding
    #: happens (zero: at once, as soon as the reporters stand behind it).
    provisional_wait: timedelta = timedelta(0)
    #: New distinct reporters that reopen a target rejected within the cool-off.
    reopen_reporters: int = 3
    reopen_cooloff: timedelta = timedelta(days=30)

    def severity_of(self, category: str) -> int:
        return self.severity.get(category, CUSTOM_SEVERITY)

    @classmethod
    def from_categories(
        cls,
        categories: Categories,
        *,
        provisional_reporters: int = 0,
        provisional_wait: timedelta = timedelta(0),
        reopen_reporters: int = 3,
        reopen_cooloff: timedelta = timedelta(days=30),
    ) -> CasePolicy:
        return cls(
            severity={item.key: item.severity for item in categories},
            provisional_reporters=provisional_reporters,
            provisional_wait=provisional_wait,
            reopen_reporters=reopen_reporters,
            reopen_cooloff=reopen_cooloff,
        )


def priority(severity: int, reporters: Iterable[ReporterRecord]) -> int:
    score = round(10 * sum(record.weight for record in reporters))
    return severity * SEVERITY_SCALE + min(score, MAX_REPORTER_SCORE)


def trusted_count(reporters: Iterable[ReporterRecord]) -> int:
    return sum(1 for record in reporters if record.trusted)
