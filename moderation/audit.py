"""The audit trail: who did what to which subject, kept forever and never edited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    subject_type: str | None
    subject_id: str | None
    details: dict[str, Any] = field(default_factory=dict)
