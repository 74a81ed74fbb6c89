"""Benchmark: /stats over a year of history — 1,000,000 reports and 200,000 cases.

Generates a year of activity straight into a migrated SQLite database (the real schema and
indexes, times in the stored UTC format): cases opened evenly over 365 days, each with one to
a few dozen reports (one per reporter), most decided by one of 20 moderators after minutes to
days, a backlog of pending ones, confirmed violators for the approved, legal requests and
disclosure-ledger entries. Then measures, on a read snapshot as the bot takes it:

- `build_stats()` per window (24h, 7d, 30d, all): every figure /stats shows, p50 / p99 over
  several runs (the target is under 100 ms for 7d);
- the baseline measured in the same run: one `SELECT count(*) FROM reports` on a plain
  connection to the same file (what "count all the reports" costs), and each window as a
  multiple of it;
- for 7d, the message rendering and the chart (drawn in a worker thread by the bot, so it does
  not hold the event loop) on their own.

    .venv/bin/python bench/stats.py                                   # 1,000,000 / 200,000
    .venv/bin/python bench/stats.py --quick     # the CI round: 20,000 / 4,000, 5 runs (QUICK)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from handlers.i18n import default_catalog
from handlers.report_views import ReportViews
from handlers.stats_chart import stats_png
from handlers.stats_views import StatsViews, telegram_length
from moderation.reporting.categories import DEFAULT_CATEGORIES, KNOWN_SEVERITY, parse_categories
from moderation.stats.figures import WINDOWS, StatsReport, build_stats, parse_window
from storage import Store, migrate
from storage.codec import encode_time

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=365)
MODERATORS = 20
BATCH = 50_000
CATEGORIES = tuple(KNOWN_SEVERITY)
BASELINE = "baseline: count(*) of all reports"
#: The short CI round (a year at a fiftieth of the scale: every window has reports).
QUICK = {"reports": 20_000, "cases": 4_000, "runs": 5}


def report_counts(rng: random.Random, cases: int, reports: int) -> list[int]:
    """Reports per case: at least one, a long tail (a few targets draw dozens), summing to
    exactly `reports`."""
    mean = max(1.0, reports / cases)
    counts = [1 + min(60, int(rng.expovariate(1 / max(mean - 1, 0.01)))) for _ in range(cases)]
    total = sum(counts)
    while total != reports:
        i = rng.randrange(cases)
        if total < reports:
            counts[i] += 1
            total += 1
        elif counts[i] > 1:
            counts[i] -= 1
            total -= 1
    return counts


def decision(rng: random.Random, opened: datetime) -> tuple[str, datetime] | None:
    """Approved or rejected after minutes to days (log-normal, median about 3 hours), or
    pending: the decision would lie in the future, or the case is in the small backlog."""
    if rng.random() < 0.02:
        return None
    decided = opened + timedelta(seconds=min(30 * 86400, rng.lognormvariate(9.3, 1.5)))
    if decided >= NOW:
        return None
    return ("approved" if rng.random() < 0.6 else "rejected", decided)


def generate(path: Path, reports: int, cases: int, seed: int) -> None:
    rng = random.Random(seed)
    counts = report_counts(rng, cases, reports)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")  # generation only; the bot itself runs FULL
    start = NOW - SPAN
    step = SPAN / cases
    report_id = 0
    violator_id = 0
    for first in range(1, cases + 1, BATCH):
        ids = range(first, min(first + BATCH, cases + 1))
        targets, case_rows, report_rows, violators, links = [], [], [], [], []
        for n in ids:
            opened = start + step * (n - 1) + timedelta(seconds=rng.random() * 60)
            at = encode_time(opened)
            category = CATEGORIES[min(len(CATEGORIES) - 1, int(rng.expovariate(0.5)))]
            targets.append((n, f"@shop_{n}", f"shop_{n}", at, at))
            decided = decision(rng, opened)
            status, decided_at, by = "pending", None, None
            if decided is not None:
                status, when = decided
                decided_at, by = encode_time(when), 1000 + rng.randrange(MODERATORS)
            case_rows.append(
                (n, n, status, category, at, at, decided_at, by, f"@mod_{by}" if by else None)
            )
            if status == "approved":
                violator_id += 1
                violators.append((violator_id, n, category, n, by, decided_at, decided_at))
                links.append((violator_id, n, category, by, decided_at))
            for k in range(counts[n - 1]):
                report_id += 1
                made = min(opened + timedelta(minutes=7 * k), NOW - timedelta(seconds=1))
                reporter = 10_000_000 + (n * 7919 + k * 104_729) % 400_000
                report_rows.append(
                    (report_id, n, n, reporter, category, encode_time(made), report_id)
                )
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO targets (id, key, kind, username, created_at, updated_at) "
            "VALUES (?, ?, 'public', ?, ?, ?)",
            targets,
        )
        conn.executemany(
            "INSERT INTO cases (id, target_id, status, category, opened_at, updated_at, "
            "decided_at, decided_by, decided_by_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            case_rows,
        )
        conn.executemany(
            "INSERT INTO reports (id, case_id, target_id, reporter_id, category, query, "
            "raw_input, source, created_at, update_id) "
            "VALUES (?, ?, ?, ?, ?, 'cheap pills', 'raw', 'shortcut', ?, ?)",
            report_rows,
        )
        conn.executemany(
            "INSERT INTO violators (id, target_id, category, case_id, confirmed_by, "
            "confirmed_at, last_confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            violators,
        )
        conn.executemany(
            "INSERT INTO violator_cases (violator_id, case_id, category, confirmed_by, "
            "confirmed_at) VALUES (?, ?, ?, ?, ?)",
            links,
        )
        conn.execute("COMMIT")
        print(f"  generated {ids[-1]:,} cases, {report_id:,} reports", file=sys.stderr)
    generate_legal(conn, rng, max(10, cases // 100))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def generate_legal(conn: sqlite3.Connection, rng: random.Random, requests: int) -> None:
    """Legal requests registered over the year; a fifth rejected, a quarter disclosed."""
    conn.execute("BEGIN")
    seq = 0
    for n in range(1, requests + 1):
        registered = NOW - SPAN + SPAN * (n / (requests + 1))
        rejected = registered + timedelta(days=3) if n % 5 == 0 else None
        state = "rejected" if rejected else "disclosed" if n % 4 == 0 else "received"
        conn.execute(
            "INSERT INTO legal_requests (id, authority, country, reference, order_type, "
            "issued_on, offence, target_kind, target_value, period_start, period_end, state, "
            "registered_by, registered_at, rejected_at) VALUES (?, 'Court', 'DE', ?, "
            "'court_order', '2026-01-01', 'fraud', 'telegram_id', '1', '2026-01-01', "
            "'2026-01-31', ?, 1, ?, ?)",
            (
                n,
                f"ref-{n}",
                state,
                encode_time(registered),
                encode_time(rejected) if rejected and rejected < NOW else None,
            ),
        )
        if state == "disclosed":
            seq += 1
            conn.execute(
                "INSERT INTO disclosure_ledger (seq, kind, request_id, violator_id, country, "
                "disclosed_at, content_sha256, prev_hash, entry_hash) "
                "VALUES (?, 'disclosure', ?, ?, 'DE', ?, 'c', 'p', ?)",
                (
                    seq,
                    n,
                    1 + rng.randrange(1000),
                    encode_time(min(NOW, registered + timedelta(days=5))),
                    f"h{seq}",
                ),
            )
    conn.execute("COMMIT")


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed(call: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    await call()  # untimed: the first run pays for the cold page cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def sizes(folder: Path) -> Iterator[Path]:
    return folder.glob("stats.sqlite3*")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=30, help="timed runs per window")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--folder", type=Path, default=None, help="keep the database here")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database a previous run left in --folder instead of generating one",
    )
    parser.add_argument(
        "--quick", action="store_true", help="the short CI round (QUICK; overrides the sizes)"
    )
    options = parser.parse_args()
    if options.quick:
        for name, value in QUICK.items():
            setattr(options, name, value)
    if options.reports < options.cases:
        parser.error("every case needs at least one report: --reports >= --cases")
    with tempfile.TemporaryDirectory(prefix="bench-stats-") as scratch:
        folder = options.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "stats.sqlite3"
        print(
            f"{options.reports:,} reports, {options.cases:,} cases over {SPAN.days} days, "
            f"real schema; {options.runs} timed runs per window"
        )
        if options.reuse and options.folder and database.exists():
            print(f"reusing {database}")
        else:
            database.unlink(missing_ok=True)
            await migrate(database)
            started = time.perf_counter()
            generate(database, options.reports, options.cases, options.seed)
            print(f"generated in {time.perf_counter() - started:.0f} s")
        size = sum(p.stat().st_size for p in sizes(folder))
        print(f"database size: {size / 1e6:,.0f} MB")

        async with aiosqlite.connect(database) as plain:

            async def count_reports() -> None:
                await plain.execute_fetchall("SELECT count(*) FROM reports")

            baseline = await timed(count_reports, options.runs)
        base = percentile(baseline, 0.5)

        store = await Store.open(database)
        ok = True
        try:
            print("milliseconds per /stats (every figure, one read snapshot):")
            print(f"  {BASELINE:<40} p50 {base:7.1f}  p99 {percentile(baseline, 0.99):7.1f}")
            reports: dict[str, StatsReport] = {}
            for label in WINDOWS:

                async def one(label: str = label) -> None:
                    reports[label] = await build_stats(store, parse_window(label), NOW)

                samples = await timed(one, options.runs)
                p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
                got = reports[label]
                print(
                    f"  {'window ' + label:<40} p50 {p50:7.1f}  p99 {p99:7.1f}  "
                    f"({p50 / base:5.2f}x the baseline; {got.reports_total.total:,} reports, "
                    f"{got.cases_total.total:,} cases, {got.decisions:,} decisions)"
                )
                if label == "7d" and p50 >= 100:
                    print("  ! 7d is over the 100 ms target")
                    ok = False
            catalog = default_catalog()
            views = StatsViews(
                catalog, ReportViews(catalog, parse_categories(DEFAULT_CATEGORIES), "bench_bot")
            )
            week = reports["7d"]
            started = time.perf_counter()
            text = views.report(week, "en")
            render = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            png = stats_png(week.days, views.chart_labels(week.window, "en"))
            chart = (time.perf_counter() - started) * 1000
            print(
                f"7d message: rendered in {render:.1f} ms, {telegram_length(text):,} of 4,096 "
                f"characters; chart: {chart:.0f} ms in its thread, {len(png) / 1000:.0f} kB PNG"
            )
            ok = ok and telegram_length(text) <= 4096 and png.startswith(b"\x89PNG")
        finally:
            await store.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
