"""/health: uptime, version, database size, queue and outbox, the last Telegram error (admins;
who may ask where is the access gate's).

An instance is named by its host and process ("host vm, process 6579"), not by its id
(`vm:6579:e5e858`), which only the database needs to tell two runs apart."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import Update

from handlers.i18n import Catalog, Html
from handlers.runtime.context import BotContext
from handlers.runtime.metrics import package_version
from moderation.instances import Instance, Roster, roster
from moderation.stats.operating import queue_state
from storage import Store
from storage.location import SqliteLocation
from storage.stats.operating import DatabaseSize


async def health_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    texts, language = services.texts, user.language_code
    now = services.clock.now()
    size = await services.store.size()
    queue = await queue_state(services.store)
    running = await roster(services.store, now)
    failure = services.telegram.last
    last_error = (
        texts.render(
            language,
            "health.last_error",
            kind=failure.kind.value,
            method=failure.method,
            at=_utc(failure.at),
            ago=_duration(texts, language, now - failure.at),
        )
        if failure is not None
        else texts.render(language, "health.no_error")
    )
    await message.reply_text(
        texts.render(
            language,
            "health.report",
            version=package_version(),
            uptime=_duration(texts, language, now - services.started_at),
            started=_utc(services.started_at),
            database=Html(_database(texts, language, services.store, size)),
            instances=Html(_instances(texts, language, running, services.presence.id, now)),
            pending=queue.pending_cases,
            escalated=queue.escalated_cases,
            unposted=queue.unposted_cases,
            outbox=texts.count(language, "health.count.outbox", queue.outbox_pending),
            last_error=Html(last_error),
        )
    )


def _database(texts: Catalog, language: str | None, store: Store, size: DatabaseSize) -> str:
    location = store.location
    if isinstance(location, SqliteLocation):
        return texts.render(
            language,
            "health.database_file",
            size=_bytes(size.total_bytes),
            file=_bytes(size.file_bytes),
            wal=_bytes(size.wal_bytes),
        )
    return texts.render(
        language, "health.database_server", where=location.describe(), size=_bytes(size.total_bytes)
    )


def _instances(
    texts: Catalog, language: str | None, running: Roster, this: str, now: datetime
) -> str:
    by_id = {instance.id: instance for instance in running.instances}
    leader = running.leader
    lines = [
        texts.render(
            language,
            "health.instances",
            count=len(running.instances),
            leader=_process(texts, language, leader, by_id.get(leader))
            if leader
            else texts.render(language, "health.no_leader"),
        )
    ]
    for instance in running.instances:
        lines.append(
            texts.render(
                language,
                "health.instance",
                process=_process(texts, language, instance.id, instance),
                mode=instance.mode.value,
                version=instance.version,
                uptime=_duration(texts, language, now - instance.started_at),
                this=Html(texts.render(language, "health.this_instance"))
                if instance.id == this
                else "",
            )
        )
    return "\n".join(lines)


def _process(
    texts: Catalog, language: str | None, instance_id: str, instance: Instance | None
) -> Html:
    """ "host vm, process 6579": from the instance's row, or from its id (`host:pid:token`)
    when the leader's row is no longer among the live ones."""
    if instance is not None:
        host, pid = instance.host, str(instance.pid)
    else:
        host, _, rest = instance_id.partition(":")
        pid = rest.partition(":")[0] or "?"
    return Html(texts.render(language, "health.process", host=host, pid=pid))


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _duration(texts: Catalog, language: str | None, span: timedelta) -> Html:
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    if days == 0:
        return Html(clock)
    return Html(texts.render(language, "health.duration_days", days=days, clock=clock))


def _bytes(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
