"""/transparency and `report-bot transparency export` end to end: rows put straight into the
bot's database, then asked for over the loopback Bot API and through the real CLI.

The rows (2026Q3 = 2026-07-01 .. 2026-09-30 UTC; the fake clock stands in 2026Q4):
  DE  two requests registered in Q3, both disclosed in Q3, about the same violator
  BR  one request registered and rejected in Q3
  FR  one request registered in Q3, disclosed at the first instant of Q4
  US  one request registered at the first instant of Q4
so 2026Q3 reads DE 2/2/0/1, BR 1/0/1/0, FR 1/0/0/0 (received/fulfilled/rejected/users).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from matplotlib.image import imread

from bot.cli_transparency import add_transparency_commands
from bot.settings import Settings
from loopback import ChatHandle, LoopbackServer, SentMessage, UserHandle
from storage import migrate
from tests.conftest import ADMIN_ID, LEGAL_OFFICER_ID, MODERATOR_ID, RunningBot
from tests.helpers import FakeClock, cli_command, cli_env

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
Q4_START = "2026-10-01T00:00:00.000000+00:00"
EXPECTED_Q3 = {"DE": [2, 2, 0, 1], "BR": [1, 0, 1, 0], "FR": [1, 0, 0, 0], "all": [4, 2, 1, 1]}


def at(day: str) -> str:
    return f"{day}T12:00:00.000000+00:00"


def insert_rows(database: Path) -> None:
    with sqlite3.connect(database) as conn:

        def request(country: str, registered: str, rejected: str | None = None) -> int:
            cursor = conn.execute(
                "INSERT INTO legal_requests (authority, country, reference, order_type, "
                "issued_on, offence, target_kind, target_value, period_start, period_end, "
                "state, registered_by, registered_at, rejected_at) VALUES ('Court', ?, ?, "
                "'court_order', '2026-06-01', 'fraud', 'telegram_id', '1', '2026-01-01', "
                "'2026-05-31', ?, ?, ?, ?)",
                (
                    country,
                    f"ref-{conn.total_changes}",
                    "rejected" if rejected else "disclosed",
                    LEGAL_OFFICER_ID,
                    registered,
                    rejected,
                ),
            )
            return int(cursor.lastrowid or 0)

        def disclosed(request_id: int, violator: int, country: str, when: str) -> None:
            conn.execute(
                "INSERT INTO disclosure_ledger (seq, kind, request_id, violator_id, country, "
                "disclosed_at, content_sha256, prev_hash, entry_hash) VALUES ("
                "(SELECT coalesce(max(seq), 0) + 1 FROM disclosure_ledger), 'disclosure', "
                "?, ?, ?, ?, 'c', 'p', ?)",
                (request_id, violator, country, when, f"h{request_id}"),
            )

        disclosed(request("DE", at("2026-07-02")), 7, "DE", at("2026-07-10"))
        disclosed(request("DE", at("2026-08-02")), 7, "DE", at("2026-08-10"))
        request("BR", at("2026-07-03"), rejected=at("2026-07-20"))
        disclosed(request("FR", at("2026-09-15")), 8, "FR", Q4_START)
        request("US", Q4_START)


@dataclass
class World:
    bot: RunningBot
    server: LoopbackServer
    review_chat: ChatHandle
    admin: UserHandle
    officer: UserHandle
    moderator: UserHandle
    reporter: UserHandle

    async def ask(self, user: UserHandle, text: str, *, answers: int = 2) -> list[SentMessage]:
        """`user` sends `text` privately; the bot's next `answers` messages (1 for a refusal)."""
        before = len(user.messages())
        await user.send(text)
        await user.wait_until(lambda: len(user.messages()) >= before + answers, timeout=30)
        return user.messages()[before : before + answers]

    async def ask_in_review_chat(
        self, user: UserHandle, text: str, *, answers: int = 2
    ) -> list[SentMessage]:
        before = len(self.review_chat.messages())
        await user.send(text, chat=self.review_chat)
        await self.server.wait_for(
            lambda: len(self.review_chat.messages()) >= before + answers, timeout=30
        )
        return self.review_chat.messages()[before : before + answers]

    def denials(self) -> list[tuple[int, dict[str, Any]]]:
        with sqlite3.connect(self.bot.settings.database_path) as conn:
            rows = conn.execute(
                "SELECT actor_id, details FROM audit_log WHERE action = 'access.denied' ORDER BY id"
            ).fetchall()
        return [(actor, json.loads(details)) for actor, details in rows]


@pytest.fixture
async def world(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> World:
    admin = loopback.add_user(first_name="Ada", language_code="en", user_id=ADMIN_ID)
    officer = loopback.add_user(first_name="Lena", language_code="en", user_id=LEGAL_OFFICER_ID)
    moderator = loopback.add_user(first_name="Mona", language_code="en", user_id=MODERATOR_ID)
    reporter = loopback.add_user(first_name="Rita", language_code="en")
    review_chat = loopback.add_supergroup(
        title="Review", members=[admin, officer, moderator], bot_admin=True
    )
    settings = make_settings(review_chat_id=review_chat.id)
    bot: RunningBot = await start_bot(settings, clock=FakeClock())
    insert_rows(settings.database_path)
    return World(bot, loopback, review_chat, admin, officer, moderator, reporter)


def table(message: SentMessage) -> dict[str, list[int]]:
    """The table's rows: country (or "all") -> received, fulfilled, rejected, users."""
    rows = {}
    for line in message.text.splitlines():
        parts = line.split()
        if len(parts) == 5 and all(p.isdigit() for p in parts[1:]):
            rows[parts[0]] = [int(p) for p in parts[1:]]
    return rows


def assert_png_chart(message: SentMessage) -> None:
    assert message.photo is not None
    assert message.photo.data.startswith(PNG_SIGNATURE)
    height, width, _channels = imread(io.BytesIO(message.photo.data), format="png").shape
    assert (width, height) == (800, 450)


# --- /transparency ---------------------------------------------------------------------------


async def test_an_admin_gets_the_table_of_the_quarter(world: World) -> None:
    text, _chart = await world.ask(world.admin, "/transparency 2026Q3")
    assert text.text.startswith("Transparency report 2026Q3 (2026-07-01 to 2026-09-30, UTC)\n")
    assert table(text) == EXPECTED_Q3
    assert "2 disclosures in the period, about 1 user" in text.text


async def test_the_table_is_a_monospace_block(world: World) -> None:
    text, _chart = await world.ask(world.admin, "/transparency 2026Q3")
    assert [e["type"] for e in text.entities].count("pre") == 1


async def test_an_admin_gets_a_png_chart(world: World) -> None:
    _text, chart = await world.ask(world.admin, "/transparency 2026Q3")
    assert_png_chart(chart)
    assert chart.caption == "Legal requests by country, 2026Q3"


async def test_a_legal_officer_gets_the_table_and_a_png_chart(world: World) -> None:
    text, chart = await world.ask(world.officer, "/transparency 2026Q3")
    assert table(text) == EXPECTED_Q3
    assert_png_chart(chart)


async def test_a_disclosure_at_the_first_instant_of_a_quarter_is_counted_in_that_quarter(
    world: World,
) -> None:
    text, _chart = await world.ask(world.admin, "/transparency 2026Q4")
    assert table(text) == {"US": [1, 0, 0, 0], "FR": [0, 1, 0, 1], "all": [1, 1, 0, 1]}


async def test_without_a_period_the_current_quarter_is_shown_to_date(world: World) -> None:
    text, _chart = await world.ask(world.admin, "/transparency")
    assert "Transparency report 2026Q4" in text.text  # the fake clock stands in November 2026
    assert "to date, the period is not over" in text.text


async def test_a_year_adds_up_its_quarters(world: World) -> None:
    text, _chart = await world.ask(world.admin, "/transparency 2026")
    assert table(text)["all"] == [5, 3, 1, 2]


async def test_an_admin_may_ask_in_the_review_chat(world: World) -> None:
    text, chart = await world.ask_in_review_chat(world.admin, "/transparency 2026Q3")
    assert table(text) == EXPECTED_Q3
    assert_png_chart(chart)


async def test_a_legal_officer_is_sent_to_a_private_chat_from_the_review_chat(
    world: World,
) -> None:
    (answer,) = await world.ask_in_review_chat(world.officer, "/transparency", answers=1)
    assert answer.text.startswith("⛔ Ask for the transparency report in a private chat with me")
    assert world.denials() == [
        (
            LEGAL_OFFICER_ID,
            {"chat_type": "supergroup", "command": "transparency", "why": "wrong_chat"},
        )
    ]


async def test_a_moderator_is_refused_and_the_refusal_is_audit_logged(world: World) -> None:
    (answer,) = await world.ask(world.moderator, "/transparency 2026Q3", answers=1)
    assert answer.text == (
        "⛔ The transparency report is for admins and legal officers, in a private chat with me "
        "(admins also in the review chat)."
    )
    assert world.denials() == [
        (MODERATOR_ID, {"chat_type": "private", "command": "transparency", "why": "not_staff"})
    ]


async def test_a_reporter_is_refused_and_the_refusal_is_audit_logged(world: World) -> None:
    (answer,) = await world.ask(world.reporter, "/transparency", answers=1)
    assert answer.text.startswith("⛔ The transparency report is for admins and legal officers")
    assert [actor for actor, _ in world.denials()] == [world.reporter.id]


async def test_a_refusal_shows_no_counts(world: World) -> None:
    (answer,) = await world.ask(world.moderator, "/transparency 2026Q3", answers=1)
    assert table(answer) == {}
    assert "DE" not in answer.text


@pytest.mark.parametrize("period", ["2026-Q3", "Q3", "2026Q5", "<b>x</b>", "2026Q3 2026Q4"])
async def test_a_bad_period_is_answered_with_the_syntax(world: World, period: str) -> None:
    (answer,) = await world.ask(world.admin, f"/transparency {period}", answers=1)
    assert answer.text.startswith(f"⚠️ I can't read the period “{period}”.")
    assert "2026Q3 (a quarter), 2026H1 (a half year) or 2026 (a year)" in answer.text


async def test_a_russian_speaking_legal_officer_gets_the_russian_table(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    officer = loopback.add_user(first_name="Лена", language_code="ru", user_id=LEGAL_OFFICER_ID)
    settings = make_settings()
    await start_bot(settings, clock=FakeClock())
    insert_rows(settings.database_path)
    await officer.send("/transparency 2026Q3")
    text = await officer.next_message(timeout=15)
    assert text.text.startswith("Отчёт о прозрачности 2026Q3")
    assert table(text)["всего"] == EXPECTED_Q3["all"]


# --- report-bot transparency export ----------------------------------------------------------


@pytest.fixture
async def database(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "bot.sqlite3"
    await migrate(path)
    insert_rows(path)
    return path


def export(database: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command("transparency", "export", *args),
        env=cli_env(DATABASE_PATH=str(database)),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def csv_rows(text: str) -> dict[str, list[int]]:
    """country -> received, fulfilled, rejected, users"""
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["period"] for row in rows} == {"2026Q3"}
    assert {(row["period_start"], row["period_end"]) for row in rows} == {
        ("2026-07-01", "2026-09-30")
    }
    return {
        row["country"]: [
            int(row[key])
            for key in (
                "requests_received",
                "requests_fulfilled",
                "requests_rejected",
                "users_disclosed",
            )
        ]
        for row in rows
    }


EXPECTED_CSV = {
    "DE": [2, 2, 0, 1],
    "BR": [1, 0, 1, 0],
    "FR": [1, 0, 0, 0],
    "ALL": [4, 2, 1, 1],
}


async def test_the_csv_export_matches_the_inserted_rows(database: Path, tmp_path: Path) -> None:
    result = export(database, tmp_path, "--period", "2026Q3", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert csv_rows(result.stdout) == EXPECTED_CSV


async def test_the_json_export_matches_the_inserted_rows(database: Path, tmp_path: Path) -> None:
    result = export(database, tmp_path, "--period", "2026Q3", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["totals"] == {
        "requests_received": 4,
        "requests_fulfilled": 2,
        "requests_rejected": 1,
        "users_disclosed": 1,
        "copies_sent": 0,
    }
    countries = {
        c["country"]: [
            c["requests_received"],
            c["requests_fulfilled"],
            c["requests_rejected"],
            c["users_disclosed"],
        ]
        for c in data["countries"]
    }
    assert countries == {k: v for k, v in EXPECTED_CSV.items() if k != "ALL"}
    assert data["telegram_format"] == [
        {
            "country": "DE",
            "period_start": "2026-07-01",
            "period_end": "2026-09-30",
            "requests": 2,
            "users_affected": 1,
        }
    ]


async def test_the_export_writes_to_the_file_given_with_out(database: Path, tmp_path: Path) -> None:
    out = tmp_path / "q3.csv"
    result = export(database, tmp_path, "--period", "2026Q3", "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert csv_rows(out.read_text(encoding="utf-8")) == EXPECTED_CSV


async def test_the_export_refuses_a_bad_period_with_the_syntax(
    database: Path, tmp_path: Path
) -> None:
    result = export(database, tmp_path, "--period", "Q3-2026", "--format", "csv")
    assert result.returncode == 2
    assert "write the period as 2026Q3" in result.stderr
    assert result.stdout == ""


def test_the_export_command_module_prints_the_csv(
    database: Path, make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    """bot/cli_transparency.py itself, in-process (also while another module adds the
    `transparency` command to report-bot)."""
    parser = argparse.ArgumentParser(prog="report-bot")
    problems: list[str] = []
    add_transparency_commands(
        parser.add_subparsers(dest="command", required=True),
        ok=0,
        failed=1,
        usage=2,
        err=problems.append,
    )
    args = parser.parse_args(["transparency", "export", "--period", "2026q3", "--format", "csv"])
    code = args.handler(args, make_settings(database_path=database))
    assert (code, problems) == (0, [])
    assert csv_rows(capsys.readouterr().out) == EXPECTED_CSV
