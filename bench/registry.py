"""Benchmark: the registry at scale — lookups and the platform import on a real database.

Generates violators and their metadata timelines straight into a migrated SQLite database
(the real schema, values sealed with the real cipher, blind indexes and dedupe keys as the bot
computes them), then measures:

- lookup latency p50 / p99 for each lookup kind (violator id, telegram id, username, phone, IP),
  through the registry repository on a read snapshot (what /lookup and `report-bot lookup` run
  before their audit entry), and the full audited `lookup()` for comparison;
- `report-bot metadata import` throughput (lines per second, through `import_lines`), against a
  baseline measured in the same run: parsing and validating the same lines without storing;
- the database's size.

    .venv/bin/python bench/registry.py                                   # 1,000,000 / 10,000,000
    .venv/bin/python bench/registry.py --quick                           # the CI round (QUICK)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from moderation.legal.lookup import LookupKind, lookup
from moderation.legal.officers import Officer
from moderation.legal.types import (
    LegalPolicy,
    OrderType,
    RequestForm,
    RequestState,
    Target,
    TargetKind,
)
from moderation.registry.metadata_import import import_lines, parse_line
from moderation.registry.violators import (
    Observation,
    ObservationKind,
    ObservationSource,
    dedupe_key,
    normalize_value,
    sealed_observation,
)
from storage import Store, migrate
from storage.codec import encode_time
from storage.crypto import (
    PersonalDataCipher,
    decode_secret,
    new_key_text,
    new_secret_text,
    parse_key,
)

START = datetime(2025, 1, 1, tzinfo=UTC)
KINDS = (
    ObservationKind.USERNAME,
    ObservationKind.DISPLAY_NAME,
    ObservationKind.PHONE,
    ObservationKind.IP,
    ObservationKind.DEVICE,
    ObservationKind.APP,
)
BATCH = 50_000
#: The short CI round: ten observations per violator as in the full run (every kind, two of
#: each kind looked up), every lookup kind, an import of five 2,000-line batches and its
#: re-import; generation (the sealing of every value) is most of its time (bench/README.md).
QUICK = {"violators": 5_000, "observations": 50_000, "import_lines": 10_000, "lookups": 500}


def telegram_id(n: int) -> int:
    return 5_000_000_000 + n


def phone(n: int, k: int) -> str:
    return f"+4470{(n * 7 + k) % 100_000_000:08d}"


def ip(n: int, k: int) -> str:
    value = (n * 131 + k * 17) % (1 << 24)
    return f"10.{value >> 16}.{(value >> 8) & 255}.{value & 255}"


def raw_value(kind: ObservationKind, n: int, k: int) -> str:
    if kind is ObservationKind.USERNAME:
        return f"user_{n}_v{k}"
    if kind is ObservationKind.DISPLAY_NAME:
        return f"Seller {n} ({k})"
    if kind is ObservationKind.PHONE:
        return phone(n, k)
    if kind is ObservationKind.IP:
        return ip(n, k)
    if kind is ObservationKind.DEVICE:
        return f"Phone model {k % 40}"
    return json.dumps({"name": "Telegram", "platform": "android", "version": f"11.{k % 9}"})


def generate(path: Path, cipher: PersonalDataCipher, violators: int, observations: int) -> None:
    """Violators with targets, approved cases and timelines, written in big transactions."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")  # generation only; the bot itself runs FULL
    when = encode_time(START)
    per = max(1, observations // max(1, violators))
    written = 0
    for first in range(1, violators + 1, BATCH):
        ids = range(first, min(first + BATCH, violators + 1))
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO targets (id, key, kind, username, chat_id, created_at, updated_at) "
            "VALUES (?, ?, 'user', ?, ?, ?, ?)",
            ((n, f"@user_{n}", f"user_{n}", telegram_id(n), when, when) for n in ids),
        )
        conn.executemany(
            "INSERT INTO cases (id, target_id, status, category, opened_at, updated_at, "
            "decided_at, decided_by) VALUES (?, ?, 'approved', 'drugs', ?, ?, ?, 1)",
            ((n, n, when, when, when) for n in ids),
        )
        conn.executemany(
            "INSERT INTO violators (id, target_id, category, case_id, confirmed_by, "
            "confirmed_at, last_confirmed_at) VALUES (?, ?, 'drugs', ?, 1, ?, ?)",
            ((n, n, n, when, when) for n in ids),
        )
        conn.executemany(
            "INSERT INTO violator_cases (violator_id, case_id, category, confirmed_by, "
            "confirmed_at) VALUES (?, ?, 'drugs', 1, ?)",
            ((n, n, when) for n in ids),
        )
        rows: list[tuple[object, ...]] = []
        for n in ids:
            for k in range(per):
                row_id = written + len(rows) + 1
                kind = KINDS[k % len(KINDS)]
                item = Observation(
                    kind,
                    normalize_value(kind, raw_value(kind, n, k)),
                    START + timedelta(minutes=k),
                    ObservationSource.IMPORT,
                )
                sealed = sealed_observation(cipher, row_id, n, item)
                rows.append(
                    (
                        row_id,
                        n,
                        kind.value,
                        sealed.value,
                        sealed.ciphertext,
                        sealed.key_id,
                        sealed.blind_index,
                        encode_time(item.observed_at),
                        item.source.value,
                        when,
                        dedupe_key(cipher, n, item),
                        sealed.index_key_id,
                    )
                )
        conn.executemany(
            "INSERT INTO observations (id, violator_id, kind, value, ciphertext, key_id, "
            "blind_index, observed_at, source, recorded_at, dedupe, blind_key_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("COMMIT")
        written += len(rows)
        print(f"  generated {ids[-1]:,} violators, {written:,} observations", file=sys.stderr)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def bench_cipher(stable: bool) -> PersonalDataCipher:
    """Fresh random keys, or (for --reuse) keys derived from a fixed seed so a kept database's
    blind indexes still match; neither is ever a real key."""
    if not stable:
        return PersonalDataCipher(
            parse_key(new_key_text("bench")), [], decode_secret(new_secret_text(), "index")
        )
    seeded = random.Random(20261123)
    key = base64.b64encode(seeded.randbytes(32)).decode()
    index = base64.b64encode(seeded.randbytes(32)).decode()
    return PersonalDataCipher(parse_key(f"bench:{key}"), [], decode_secret(index, "index"))


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def measure_lookups(
    store: Store, cipher: PersonalDataCipher, violators: int, count: int, per: int
) -> dict[str, list[float]]:
    rng = random.Random(7)
    picks = [rng.randint(1, violators) for _ in range(count)]
    results: dict[str, list[float]] = {}

    async def run(name: str, find: Callable[[int], Awaitable[list[int]]]) -> None:
        async def one(n: int) -> None:
            found = await find(n)
            assert n in found, (name, n, found)

        results[name] = await timed([lambda n=n: one(n) for n in picks])  # type: ignore[misc]

    async with store.reading() as uow:
        registry = uow.registry

        async def by_id(n: int) -> list[int]:
            return [n] if await registry.violator(n) else []

        async def by_tg(n: int) -> list[int]:
            return await registry.by_telegram_id(telegram_id(n))

        async def by_name(n: int) -> list[int]:
            return await registry.by_username(f"user_{n}_v0")  # a past username

        async def by_phone(n: int) -> list[int]:
            value = normalize_value(ObservationKind.PHONE, phone(n, 2))
            return await registry.by_blind_index(
                ObservationKind.PHONE, cipher.blind_indexes("phone", value)
            )

        async def by_ip(n: int) -> list[int]:
            value = normalize_value(ObservationKind.IP, ip(n, 3))
            return await registry.by_blind_index(
                ObservationKind.IP, cipher.blind_indexes("ip", value)
            )

        # One untimed pass first, so every kind is measured with the file in the page cache
        # (as a running bot's would be), not the first kind paying for the cold reads.
        for n in picks[: max(1, count // 5)]:
            await by_id(n)
            await by_tg(n)
            await by_name(n)
        await run("violator id (baseline)", by_id)
        await run("telegram id", by_tg)
        await run("username (past)", by_name)
        if per > 2:
            await run("phone (blind index)", by_phone)
        if per > 3:
            await run("ip (blind index)", by_ip)

        async def whole_file(n: int) -> None:
            # What a lookup shows: phones and IPs only counted, never decrypted.
            await registry.violator(n)
            await registry.cases_of(n)
            await registry.public_timeline(n)
            await registry.personal_counts(n, None, None)

        results["file: violator + cases + timeline + sealed counts"] = await timed(
            [lambda n=n: whole_file(n) for n in picks]  # type: ignore[misc]
        )
    # A lookup answers only for its request's subject: an open request about each violator
    # looked up, so each lookup finds its file, as an officer's does.
    sample = picks[: max(1, count // 10)]
    request_of: dict[int, int] = {}
    async with store.transaction() as uow:
        for n in sample:
            request_id = await uow.legal.next_request_id()
            form = replace(BENCH_ORDER, reference=f"{BENCH_ORDER.reference}-{request_id}")
            await uow.legal.add_request(request_id, form, None, OFFICER.user_id, START)
            await uow.legal.set_analysis(
                request_id, violator_id=n, checks=(), state=RequestState.RECEIVED
            )
            request_of[n] = request_id
    results["audited lookup() by phone (incl. fsync'd audit row)"] = await timed(
        [
            lambda n=n: lookup(  # type: ignore[misc]
                store,
                cipher,
                BENCH_POLICY,
                LookupKind.PHONE,
                phone(n, 2),
                OFFICER,
                request_of[n],
                datetime.now(UTC),
            )
            for n in sample
        ]
    )
    return results


OFFICER = Officer(1, "bench officer")
BENCH_POLICY = LegalPolicy(bootstrap_legal=frozenset({OFFICER.user_id}))
BENCH_ORDER = RequestForm(
    authority="Bench court",
    country="DE",
    reference="BENCH-1",
    order_type=OrderType.COURT_ORDER,
    issued_on=date(2026, 10, 1),
    offence="drug_trafficking",
    target=Target(TargetKind.USERNAME, "user_1"),
    period_start=date(2026, 1, 1),
    period_end=date(2026, 6, 30),
)


def import_file(path: Path, lines: int, violators: int) -> None:
    rng = random.Random(11)
    with path.open("w") as out:
        for line in range(lines):
            n = rng.randint(1, violators)
            kind = ("ip", "phone", "device")[line % 3]
            value = {"ip": ip(n, 1000 + line), "phone": phone(n, 1000 + line)}.get(
                kind, f"Laptop {line % 50}"
            )
            out.write(
                json.dumps(
                    {
                        "telegram_id": telegram_id(n),
                        "kind": kind,
                        "value": value,
                        "observed_at": f"2026-0{1 + line % 9}-01T10:{line % 60:02d}:00Z",
                    }
                )
                + "\n"
            )


def lines_of(path: Path) -> Iterator[str]:
    with path.open() as handle:
        yield from handle


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--violators", type=int, default=1_000_000)
    parser.add_argument("--observations", type=int, default=10_000_000)
    parser.add_argument("--lookups", type=int, default=5_000)
    parser.add_argument("--import-lines", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None, help="keep the database here")
    parser.add_argument(
        "--lookups-only", action="store_true", help="measure lookups, skip the import"
    )
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
    cipher = bench_cipher(options.reuse)
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as scratch:
        folder = options.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "registry.sqlite3"
        per = max(1, options.observations // max(1, options.violators))
        print(
            f"{options.violators:,} violators, {options.violators * per:,} observations "
            f"({per} each), real schema and cipher"
        )
        if options.reuse and options.folder and database.exists():
            print(f"reusing {database} (generated by an earlier run with --reuse)")
        else:
            database.unlink(missing_ok=True)
            await migrate(database)
            started = time.perf_counter()
            generate(database, cipher, options.violators, options.observations)
            print(f"generated in {time.perf_counter() - started:.0f} s")
        size = sum(p.stat().st_size for p in folder.glob("registry.sqlite3*"))
        print(
            f"database size: {size / 1e6:,.0f} MB ({size / options.violators:,.0f} B per violator)"
        )

        store = await Store.open(database)
        try:
            results = await measure_lookups(store, cipher, options.violators, options.lookups, per)
            baseline = statistics.median(results["violator id (baseline)"])
            print(f"lookups ({options.lookups:,} random violators each), milliseconds:")
            for name, samples in results.items():
                p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
                print(
                    f"  {name:<52} p50 {p50:6.3f}  p99 {p99:6.3f}  "
                    f"(p50 {p50 / baseline:4.1f}x the id lookup)"
                )
            if options.lookups_only:
                return 0
            export = folder / "export.jsonl"
            import_file(export, options.import_lines, options.violators)
            started, now = time.perf_counter(), datetime.now(UTC)
            parsed = sum(
                1
                for number, text in enumerate(lines_of(export), 1)
                if parse_line(number, text, now)
            )
            parse_rate = parsed / (time.perf_counter() - started)
            started = time.perf_counter()
            summary = await import_lines(store, cipher, lines_of(export), datetime.now(UTC))
            rate = summary.lines / (time.perf_counter() - started)
            print(
                f"import of {summary.lines:,} lines: {rate:,.0f} lines/s (added {summary.added:,}, "
                f"bad {summary.bad_count}); baseline, parsing and validating only: "
                f"{parse_rate:,.0f} lines/s; ratio {rate / parse_rate:.2f}"
            )
            again = time.perf_counter()
            repeat = await import_lines(store, cipher, lines_of(export), datetime.now(UTC))
            print(
                f"re-import: added {repeat.added}, already recorded {repeat.already_recorded:,} "
                f"({repeat.lines / (time.perf_counter() - again):,.0f} lines/s)"
            )
            ok = summary.bad_count == 0 and repeat.added == 0
        finally:
            await store.close()
        size = sum(p.stat().st_size for p in folder.glob("registry.sqlite3*"))
        print(f"database size after the import: {size / 1e6:,.0f} MB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
