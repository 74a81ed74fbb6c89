"""The configuration table is the settings model's: docs/configuration.md holds exactly what
`python -m bot.settings_table` generates, and that lists every variable the bot reads.

The table was written by hand and fell behind the model: DATABASE_URL, METRICS_* and LEGAL_*
were missing, so an operator reading it never learnt they existed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bot.settings import Settings
from bot.settings_problems import EXPECTED, MEANING
from bot.settings_table import BEGIN, END, rewrite, variables

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "configuration.md"
COMMAND = ".venv/bin/python -m bot.settings_table docs/configuration.md"


def listed(page: str) -> list[str]:
    """The variables the page's generated table has a row for."""
    table = page[page.index(BEGIN) : page.index(END)]
    return re.findall(r"^\| `([A-Z0-9_]+)` \|", table, flags=re.MULTILINE)


def test_the_committed_table_is_what_the_command_generates() -> None:
    """issue 28, point 14: the configuration table is generated from the settings model (one
    command, named in the page), and the committed page is that command's output."""
    page = PAGE.read_text(encoding="utf-8")
    assert COMMAND in page
    assert rewrite(page) == page, f"docs/configuration.md is stale: run {COMMAND}"


def test_the_table_lists_every_variable_of_the_settings_model() -> None:
    """issue 28, point 14: DATABASE_URL, METRICS_* and LEGAL_* were missing from the table;
    now every field of the model has its row, once, and no row names a variable the bot does
    not read."""
    rows = listed(PAGE.read_text(encoding="utf-8"))
    model = [name.upper() for name in Settings.model_fields]
    assert rows == variables() == model
    assert {"DATABASE_URL", "METRICS_PORT", "METRICS_LISTEN", "LEGAL_APPROVALS"} <= set(rows)


def test_every_variable_says_what_it_is_for_and_what_it_accepts() -> None:
    """issue 28, point 14: the Meaning and Expected columns come from one place each, with no
    variable left without them and no entry for a variable the model dropped."""
    names = set(variables())
    assert sorted(names - MEANING.keys()) == [], "add them to MEANING (bot/settings_problems.py)"
    assert sorted(names - EXPECTED.keys()) == [], "add them to EXPECTED (bot/settings_problems.py)"
    assert sorted(MEANING.keys() - names) == []
    assert sorted(EXPECTED.keys() - names) == []


def test_the_command_rewrites_a_stale_page_and_names_a_page_without_markers(
    tmp_path: Path,
) -> None:
    """issue 28, point 14: the lead reruns the command after settings change; it puts back
    a row left out, and a page it cannot place the table in is one line, exit 1."""
    page = PAGE.read_text(encoding="utf-8")
    stale = tmp_path / "configuration.md"
    stale.write_text(re.sub(r"^\| `METRICS_PORT` \|.*\n", "", page, flags=re.MULTILINE))
    assert stale.read_text(encoding="utf-8") != page
    command = [sys.executable, "-m", "bot.settings_table"]
    done = subprocess.run([*command, str(stale)], cwd=ROOT, capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
    assert stale.read_text(encoding="utf-8") == page

    bare = tmp_path / "bare.md"
    bare.write_text("# Configuration\n")
    done = subprocess.run([*command, str(bare)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "settings_table: the page has no" in done.stderr
    assert "Traceback" not in done.stderr
