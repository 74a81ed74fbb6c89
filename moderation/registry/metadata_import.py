"""The platform's metadata export, read line by line into the registry.

JSON Lines, one observation per line (schema in docs/registry.md). Every line is validated; a bad
line is reported with its number and reason and the import goes on. No line can abort it: a
line is at most MAX_LINE_CHARS long and MAX_DEPTH deep, ids fit SQLite's INTEGER (Telegram ids
52 bits), observed_at lies between 1970 and tomorrow, text is UTF-8. Only observations of
confirmed violators are kept; the rest are counted and dropped (data minimisation). Importing
the same file again adds nothing (each observation has a keyed dedupe fingerprint).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TextIO

from moderation.bounded_json import BadJson, parse
from moderation.personal_data import NotPersonalData
from moderation.registry.violators import (
    Observation,
    ObservationKind,
    ObservationRow,
    ObservationSource,
    RegistryStore,
    SealedValue,
    Sealer,
    dedupe_key,
    normalize_value,
    sealed_observation,
)

#: Lines per transaction: large enough to be fast, small enough not to hold the writer long.
BATCH = 2000
MAX_BAD_SHOWN = 1000
#: An observation is a few hundred characters; a line far longer is not one.
MAX_LINE_CHARS: Final = 65_536
#: The line's object, an app value's object, and room for a few nested extras the export adds.
MAX_DEPTH: Final = 8
#: SQLite's INTEGER is signed 64-bit; Telegram promises ids of at most 52 significant bits.
MAX_SQL_INTEGER: Final = 2**63 - 1
MAX_TELEGRAM_ID: Final = 2**52
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SUBJECT_KEYS = ("violator_id", "telegram_id", "username")
_CLEAR = SealedValue("", None, None, None)  # a dry run seals nothing


@dataclass(frozen=True, slots=True)
class ImportLine:
    number: int
    subject: tuple[str, int | str]
    observation: Observation


@dataclass
class ImportSummary:
    lines: int = 0
    added: int = 0
    already_recorded: int = 0
    not_violators: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    bad_count: int = 0

    def refuse(self, number: int, reason: str) -> None:
        self.bad_count += 1
        if len(self.bad) < MAX_BAD_SHOWN:
            self.bad.append((number, reason))


class BadLine(ValueError):
    pass


def parse_line(number: int, text: str, now: datetime) -> ImportLine | None:
    """None for a blank line; BadLine (with a reason a person can act on) for a wrong one."""
    if len(text.rstrip("\r\n")) > MAX_LINE_CHARS:
        raise BadLine(
            f"longer than {MAX_LINE_CHARS:,} characters; an observation is one short line"
        )
    if not text.strip():
        return None
    try:
        data = parse(text, max_depth=MAX_DEPTH)
    except BadJson as exc:
        raise BadLine(str(exc)) from None
    if not isinstance(data, dict):
        raise BadLine("not a JSON object")
    subject = _subject(data)
    kind_text = data.get("kind")
    try:
        kind = ObservationKind(kind_text if isinstance(kind_text, str) else "")
    except ValueError:
        choices = ", ".join(k.value for k in ObservationKind)
        raise BadLine(f"kind must be one of {choices}") from None
    raw = data.get("value")
    if kind is ObservationKind.APP and isinstance(raw, dict):
        raw = _app(raw)
    if not isinstance(raw, str):
        raise BadLine("value must be a string (for app: an object with name, version, platform)")
    try:
        value = normalize_value(kind, raw)
    except NotPersonalData as exc:
        raise BadLine(f"value: {exc}") from None
    return ImportLine(
        number,
        subject,
        Observation(
            kind, value, _observed_at(data.get("observed_at"), now), ObservationSource.IMPORT
        ),
    )


def read_lines(stream: TextIO, progress: Callable[[int], object] | None = None) -> Iterator[str]:
    """The lines of a text file, a line longer than MAX_LINE_CHARS cut just past the limit (so
    parse_line refuses it) with the rest skipped, never held in memory whole. `progress` gets
    the bytes read (the stream decodes with surrogateescape, so they re-encode exactly)."""
    while True:
        text = stream.readline(MAX_LINE_CHARS + 1)
        if not text:
            return
        size = _size(text)
        if len(text) > MAX_LINE_CHARS and not text.endswith("\n"):
            while rest := stream.readline(MAX_LINE_CHARS):
                size += _size(rest)
                if rest.endswith("\n"):
                    break
        if progress is not None:
            progress(size)
        yield text


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def _subject(data: dict[str, Any]) -> tuple[str, int | str]:
    given = [key for key in _SUBJECT_KEYS if data.get(key) is not None]
    if len(given) != 1:
        raise BadLine("give exactly one of violator_id, telegram_id, username")
    key = given[0]
    value = data[key]
    if key == "username":
        if not isinstance(value, str):
            raise BadLine("username must be a string")
        try:
            return key, normalize_value(ObservationKind.USERNAME, value)
        except NotPersonalData as exc:
            raise BadLine(f"username: {exc}") from None
    if key == "violator_id":
        if not _integer(value) or not 0 < value <= MAX_SQL_INTEGER:
            raise BadLine("violator_id must be a positive whole number (the registry's #N)")
    elif not _integer(value) or not 0 < abs(value) < MAX_TELEGRAM_ID:
        raise BadLine(
            "telegram_id must be a whole number other than 0 of at most 52 bits, as Telegram's "
            "user and chat ids are"
        )
    return key, value


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _app(raw: dict[str, Any]) -> str:
    parts = [raw.get(name) for name in ("name", "version", "platform")]
    if not all(isinstance(part, str) and part.strip() for part in parts):
        raise BadLine("app must have name, version and platform as strings")
    return json.dumps(
        dict(zip(("name", "version", "platform"), parts, strict=True)),
        ensure_ascii=False,
        sort_keys=True,
    )


def _observed_at(value: Any, now: datetime) -> datetime:
    if not isinstance(value, str):
        raise BadLine("observed_at must be an ISO-8601 time, e.g. 2026-05-01T12:00:00Z")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadLine("observed_at is not an ISO-8601 time, e.g. 2026-05-01T12:00:00Z") from None
    if moment.tzinfo is None:
        raise BadLine("observed_at needs a time zone (Z or +00:00)")
    latest = now + timedelta(days=1)
    try:
        utc: datetime | None = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first representable instant
        utc = None
    if utc is None or not EARLIEST <= utc <= latest:
        raise BadLine(
            f"observed_at must be between {EARLIEST:%Y-%m-%d} and tomorrow "
            f"({latest:%Y-%m-%d %H:%M} UTC)"
        )
    return utc


async def import_lines(
    store: RegistryStore,
    sealer: Sealer,
    lines: Iterable[str],
    now: datetime,
    *,
    dry_run: bool = False,
) -> ImportSummary:
    summary = ImportSummary()
    resolved: dict[tuple[str, int | str], int | None] = {}
    batch: list[ImportLine] = []
    for number, text in enumerate(lines, start=1):
        summary.lines += 1
        try:
            parsed = parse_line(number, text, now)
        except BadLine as exc:
            summary.refuse(number, str(exc))
            parsed = None
        if parsed is not None:
            batch.append(parsed)
        if len(batch) >= BATCH:
            await _store_batch(store, sealer, batch, resolved, summary, now, dry_run)
            batch = []
    if batch:
        await _store_batch(store, sealer, batch, resolved, summary, now, dry_run)
    if not dry_run:
        async with store.transaction() as uow:
            await uow.audit.append(
                at=now,
                actor_id=None,
                action="registry.imported",
                details={
                    "before": None,
                    "after": {
                        "lines": summary.lines,
                        "added": summary.added,
                        "already_recorded": summary.already_recorded,
                        "not_violators": summary.not_violators,
                        "bad": summary.bad_count,
                    },
                },
            )
    return summary


async def _store_batch(
    store: RegistryStore,
    sealer: Sealer,
    batch: list[ImportLine],
    resolved: dict[tuple[str, int | str], int | None],
    summary: ImportSummary,
    now: datetime,
    dry_run: bool,
) -> None:
    context = store.reading() if dry_run else store.transaction()
    async with context as uow:
        unknown: dict[str, list[int | str]] = {}
        for line in batch:
            if line.subject not in resolved:
                unknown.setdefault(line.subject[0], []).append(line.subject[1])
        for key, values in unknown.items():
            distinct = list(dict.fromkeys(values))
            found = await uow.registry.resolve_many(key, distinct)
            for value in distinct:
                resolved[(key, value)] = found.get(value)
        rows: list[ObservationRow] = []
        # Ids first: each phone or IP is sealed bound to the row it goes into.
        row_id = await uow.registry.next_observation_id()
        for line in batch:
            violator_id = resolved[line.subject]
            if violator_id is None:
                summary.not_violators += 1
                continue
            observation = line.observation
            row_id += 1
            rows.append(
                ObservationRow(
                    row_id - 1,
                    violator_id,
                    observation.kind,
                    sealed_observation(sealer, row_id - 1, violator_id, observation)
                    if not dry_run
                    else _CLEAR,
                    observation.observed_at,
                    observation.source,
                    now,
                    dedupe_key(sealer, violator_id, observation),
                )
            )
        if dry_run:
            existing = await uow.registry.existing_dedupes([row.dedupe for row in rows])
            added = sum(1 for row in rows if row.dedupe not in existing)
        else:
            added = await uow.registry.add_observations(rows)
        summary.added += added
        summary.already_recorded += len(rows) - added
