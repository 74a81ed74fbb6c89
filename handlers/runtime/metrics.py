"""Prometheus metrics: one registry per Application, served on METRICS_LISTEN:METRICS_PORT.

Counts of reports, cases, decisions and the queue are read from the database when Prometheus
scrapes (moderation.stats.operating.RunningTotals), so no domain code carries metric calls and the
numbers can never drift from the records. Telegram API failures come from the Application's
TelegramHealth (fed by the transport); handler latency from a timing wrapper put around every
registered handler's callback once, after registration (`instrument_handlers`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Coroutine, Iterator
from importlib import metadata
from typing import Any, Final

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram.ext import Application

from handlers.runtime.listening import listen_on
from handlers.runtime.telegram_health import FailureKind, TelegramHealth
from moderation.stats.operating import OperatingStore, RunningTotals, Totals

log = structlog.get_logger(__name__)

PACKAGE: Final = "search-report-bot"
PREFIX: Final = "reportbot"


def package_version() -> str:
    """The installed package's version (pyproject.toml), or "unknown" when run uninstalled."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


class DatabaseCollector(Collector):
    """Families built from the last database reading (taken right before each scrape)."""

    def __init__(self) -> None:
        self.totals: Totals | None = None

    def collect(self) -> Iterator[Metric]:
        totals = self.totals
        if totals is None:
            return
        reports = CounterMetricFamily(
            f"{PREFIX}_reports", "Reports filed, by category.", labels=["category"]
        )
        for category, n in sorted(totals.reports_by_category.items()):
            reports.add_metric([category], n)
        yield reports
        decisions = CounterMetricFamily(
            f"{PREFIX}_decisions",
            "Moderators' decisions on cases (undone ones included), by decision.",
            labels=["decision"],
        )
        for decision in ("approved", "rejected"):
            decisions.add_metric([decision], totals.decisions.get(decision, 0))
        yield decisions
        cases = GaugeMetricFamily(f"{PREFIX}_cases", "Cases by status.", labels=["status"])
        for status in sorted({"pending", "approved", "rejected", *totals.cases_by_status}):
            cases.add_metric([status], totals.cases_by_status.get(status, 0))
        yield cases
        queue = GaugeMetricFamily(
            f"{PREFIX}_queue_cases",
            "Cases waiting for a decision; escalated ones also count as pending.",
            labels=["state"],
        )
        queue.add_metric(["pending"], totals.queue.pending_cases)
        queue.add_metric(["escalated"], totals.queue.escalated_cases)
        yield queue
        yield GaugeMetricFamily(
            f"{PREFIX}_review_unposted",
            "Cases not yet posted to the review chat.",
            value=totals.queue.unposted_cases,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_pending",
            "Messages owed to users that have not been sent yet.",
            value=totals.queue.outbox_pending,
        )


class TelegramErrorsCollector(Collector):
    def __init__(self, health: TelegramHealth) -> None:
        self._health = health

    def collect(self) -> Iterator[Metric]:
        errors = CounterMetricFamily(
            f"{PREFIX}_telegram_api_errors",
            "Failed Bot API calls, by kind (retry_after, bad_request, forbidden, "
            "server_error, timed_out, network_error, ...).",
            labels=["kind"],
        )
        counts = self._health.counts()
        for kind in FailureKind:
            errors.add_metric([kind.value], counts.get(kind, 0))
        yield errors


class BuildCollector(Collector):
    def __init__(self, version: str) -> None:
        self._version = version

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            f"{PREFIX}_build_info", "The running version (always 1).", labels=["version"]
        )
        info.add_metric([self._version], 1)
        yield info


Callback = Callable[[Any, Any], Coroutine[Any, Any, Any]]


class MetricsServerError(Exception):
    """The metrics port could not be opened; the message names the setting."""


class BotMetrics:
    """The metrics of one Application: its own registry, never the process-global one."""

    def __init__(self, telegram: TelegramHealth) -> None:
        self.registry = CollectorRegistry()
        self.handler_seconds = Histogram(
            f"{PREFIX}_handler_duration_seconds",
            "Time a handler took for one update, by handler.",
            ["handler"],
            registry=self.registry,
        )
        self._database = DatabaseCollector()
        self._totals = RunningTotals()
        self.registry.register(self._database)
        self.registry.register(TelegramErrorsCollector(telegram))
        self.registry.register(BuildCollector(package_version()))
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def timed(self, name: str, callback: Callback) -> Callback:
        """`callback`, observed in the handler latency histogram under `name`."""
        histogram = self.handler_seconds.labels(name)

        @functools.wraps(callback)
        async def timed_callback(update: Any, context: Any) -> Any:
            started = time.perf_counter()
            try:
                return await callback(update, context)
            finally:
                histogram.observe(time.perf_counter() - started)

        return timed_callback

    async def scrape(self, store: OperatingStore) -> bytes:
        """Reads the database's counts, then renders every metric in the exposition format."""
        self._database.totals = await self._totals.read(store)
        return generate_latest(self.registry)

    async def serve(self, store: OperatingStore, listen: str, port: int) -> None:
        """Serves GET /metrics on listen:port until `close`."""

        async def metrics(request: web.Request) -> web.Response:
            body = await self.scrape(store)
            return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

        app = web.Application()
        app.router.add_get("/metrics", metrics)
        self._runner, self.port = await listen_on(
            app,
            listen,
            port,
            lambda what: MetricsServerError(
                f"METRICS_PORT: {what}; choose a free port or leave METRICS_PORT empty"
            ),
        )
        log.info("metrics_serving", listen=listen, port=self.port, path="/metrics")

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def handler_name(callback: Callable[..., Any]) -> str:
    """A stable label for a callback: report.report_command, LegalHandlers.command, ..."""
    module = getattr(callback, "__module__", "") or ""
    qualname = getattr(callback, "__qualname__", type(callback).__name__)
    if "." in qualname:  # a method: the class names it well enough
        return qualname
    short = module.removeprefix("handlers.")
    return f"{short}.{qualname}" if short else qualname


def instrument_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], metrics: BotMetrics
) -> None:
    """Times every handler registered so far (call once, after all handlers are added)."""
    for handlers in application.handlers.values():
        for handler in handlers:
            handler.callback = metrics.timed(handler_name(handler.callback), handler.callback)
