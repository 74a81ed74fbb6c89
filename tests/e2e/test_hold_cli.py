"""`report-bot hold set|clear` as the legal commands work: `--by` names the person acting,
checked against the roles; a reason to set a hold, none needed to clear one; all on record."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import Store
from storage.location import Location
from tests.conftest import ENGINES
from tests.e2e.test_registry_cli import approved
from tests.engines import database_env
from tests.helpers import cli_env, run_cli

pytestmark = pytest.mark.engines(*ENGINES)

OFFICER = 4101
ADMIN = 4102
MODERATOR = 4103


async def hold_audit(database: Location) -> list[tuple[str, int | None, dict[str, object]]]:
    store = await Store.open(database)
    try:
        async with store.reading() as uow:
            rows = await uow.audit.recent(40)
    finally:
        await store.close()
    return [
        (row.action, row.actor_id, dict(row.details))
        for row in reversed(rows)
        if row.action.startswith("registry.hold")
    ]


async def test_hold_checks_by_against_the_roles_and_needs_a_reason_only_to_set(
    tmp_path: Path, store_location: Location
) -> None:
    """issue 28, point 5: `hold set|clear` took --by as any text, with no role check, and
    needed --reason to clear; now --by is a Telegram id checked as the legal commands check
    theirs (a legal officer or an admin), --reason is required to set and optional to clear,
    and every step, a refusal included, is audit-logged."""
    await approved(store_location, "held_shop")
    env = cli_env(
        **database_env(store_location),
        LEGAL_OFFICER_IDS=str(OFFICER),
        ADMIN_IDS=str(ADMIN),
        MODERATOR_IDS=str(MODERATOR),
    )
    hold = ("hold", "set", "--violator", "1")

    no_reason = await run_cli(env, tmp_path, *hold, "--by", str(OFFICER))
    assert no_reason[0] == 2, no_reason
    assert "report-bot: hold set: --reason is required" in no_reason[2]
    nobody = await run_cli(env, tmp_path, *hold, "--reason", "LR-7")
    assert nobody[0] == 2
    assert "--by" in nobody[2]

    refused = await run_cli(env, tmp_path, *hold, "--reason", "LR-7", "--by", str(MODERATOR))
    assert refused[0] == 1, refused
    assert "hold set: only legal officers and admins set or clear a legal hold" in refused[2]

    done = await run_cli(env, tmp_path, *hold, "--reason", "LR-7", "--by", str(OFFICER))
    assert done[0] == 0, done
    assert "legal hold set on violator #1" in done[1]
    cleared = await run_cli(env, tmp_path, "hold", "clear", "--violator", "1", "--by", str(ADMIN))
    assert cleared[0] == 0, cleared
    assert "legal hold cleared on violator #1" in cleared[1]
    missing = await run_cli(
        env, tmp_path, *hold[:2], "--violator", "9", "--reason", "LR-8", "--by", str(ADMIN)
    )
    assert missing[0] == 1
    assert "there is no confirmed violator #9" in missing[2]
    for result in (no_reason, nobody, refused, done, cleared, missing):
        assert "Traceback" not in result[2]

    assert await hold_audit(store_location) == [
        (
            "registry.hold_refused",
            MODERATOR,
            {
                "by": f"id {MODERATOR} (command line)",
                "asked": "registry.hold_set",
                "refused": "only legal officers and admins set or clear a legal hold",
            },
        ),
        (
            "registry.hold_set",
            OFFICER,
            {"by": f"id {OFFICER} (command line)", "before": False, "after": True, "why": "LR-7"},
        ),
        (
            "registry.hold_cleared",
            ADMIN,
            {"by": f"id {ADMIN} (command line)", "before": True, "after": False},
        ),
    ]
