"""`/report <link-or-@username> <category> <query...>`: a whole report in one message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from moderation.ports import ChatResolver, ReportingStore
from moderation.reporting.filing import file_in
from moderation.reporting.guided import resolve_target
from moderation.reporting.guided_inputs import Reporter
from moderation.reporting.guided_replies import Problem, Refused, Submitted, problem_for
from moderation.reporting.guided_steps import QUERY_MAX, FlowConfig
from moderation.reporting.target_links import parse_result
from moderation.reporting.target_terms import search_term
from moderation.reporting.targets import ParseProblem, TargetRef
from moderation.reporting.types import LimitReached, NewReport, ReporterBlocked, ReportSource
from moderation.text import clean_line

#: The first argument that reports the search term itself instead of a result.
TERM_WORDS = frozenset({"term", "-"})


class Missing(StrEnum):
    TARGET = "target"
    CATEGORY = "category"
    UNKNOWN_CATEGORY = "unknown_category"
    QUERY = "query"
    QUERY_TOO_LONG = "query_too_long"


@dataclass(frozen=True, slots=True)
class OneMessageHelp:
    """What is wrong with the one-message form; `result_problem` when the link was bad."""

    missing: Missing
    result_problem: Problem | None = None
    given: str = ""


async def file_one_message(
    store: ReportingStore,
    resolver: ChatResolver,
    reporter: Reporter,
    args: str,
    update_id: int,
    config: FlowConfig,
    now: datetime,
) -> Submitted | Refused | OneMessageHelp:
    parts = clean_line(args).split(" ", 2)
    first = parts[0] if parts and parts[0] else ""
    if not first:
        return OneMessageHelp(Missing.TARGET)
    if len(parts) < 2:
        return OneMessageHelp(Missing.CATEGORY)
    category = parts[1].casefold().lstrip("#")
    if category not in config.categories:
        return OneMessageHelp(Missing.UNKNOWN_CATEGORY, given=parts[1][:40])
    query = parts[2].strip() if len(parts) > 2 else ""
    if not query:
        return OneMessageHelp(Missing.QUERY)
    if len(query) > QUERY_MAX:
        return OneMessageHelp(Missing.QUERY_TOO_LONG)
    found: TargetRef | ParseProblem | None
    found = search_term(query) if first.casefold() in TERM_WORDS else parse_result(first)
    if isinstance(found, ParseProblem):
        return OneMessageHelp(Missing.TARGET, problem_for(found))
    found = await resolve_target(resolver, found, config)
    if not isinstance(found, TargetRef):  # pragma: no cover - resolution keeps a target
        return OneMessageHelp(Missing.TARGET)
    report = NewReport(
        reporter_id=reporter.user_id,
        language_code=reporter.language_code,
        query=query,
        target=found,
        category=category,
        comment=None,
        raw_input=first,
        source=ReportSource.ONE_MESSAGE,
        update_id=update_id,
    )
    async with store.transaction() as uow:
        await uow.users.touch(reporter.user_id, reporter.language_code, now, reporter.username)
        # A redelivered update finds the report it filed (file_in looks it up by update id).
        outcome = await file_in(uow, report, config.limits, now, config.policy)
    if isinstance(outcome, LimitReached | ReporterBlocked):
        return Refused(outcome)
    return Submitted(outcome)
