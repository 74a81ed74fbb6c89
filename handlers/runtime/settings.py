"""The settings handlers read, with the policies built once at start-up.

Handlers never import bot/settings.py (the import contracts keep `bot/` on top): `bot/app.py`
builds this from the whole Settings when the Application starts, so a press or a command reads
a policy built once instead of building it again from the configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from moderation.legal.types import LegalPolicy
from moderation.reporting.categories import Categories
from moderation.review.priority import CasePolicy
from moderation.review.severe_waits import SeverePolicy
from moderation.staff.roles import Role


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """The moderators' console, when CONSOLE_URL is set (docs/console.md)."""

    url: str
    session_minutes: int = 30
    init_data_max_age_seconds: int = 3600
    app_name: str | None = None  # the Mini App's short name, for the review chat's link


@dataclass(frozen=True, slots=True)
class HandlerSettings:
    review_chat_id: int | None
    review_thread_id: int | None
    admin_ids: frozenset[int]
    report_categories: Categories
    bootstrap_roles: Mapping[Role, frozenset[int]]  # from the settings; never revoked from chat
    case_policy: CasePolicy
    legal_policy: LegalPolicy
    severe_policy: SeverePolicy
    conversation_timeout_minutes: int
    report_limit_per_hour: int
    report_limit_per_day: int
    resolve_timeout_seconds: float
    undo_window_minutes: int
    case_edit_debounce_seconds: int
    case_edit_recheck_seconds: int
    backlog_digest_minutes: int
    sla_severe_pending_minutes: int
    registry_retention_days: int
    registry_observe_hours: int
    registry_observe_batch: int
    ledger_head_every_hours: int = 24  # 0: no periodic signed ledger head
    #: A case post or notification an instance claimed is another's to send after this.
    outbox_claim_seconds: int = 20
    #: The moderators' console; None while it is off (CONSOLE_URL unset).
    console: ConsoleSettings | None = None
    #: A case /review or the console serves is that moderator's this long (claims.serve_next).
    review_claim_seconds: int = 300

    @property
    def undo_window(self) -> timedelta:
        """How long a decision can be undone (UNDO_WINDOW_MINUTES)."""
        return timedelta(minutes=self.undo_window_minutes)
