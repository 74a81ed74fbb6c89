"""Chart images (PNG) for the bot's reports, drawn with matplotlib off the event loop."""

from __future__ import annotations

import asyncio
import io

# A bare Figure (no pyplot) renders through the Agg canvas: no display, no global state.
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from moderation.transparency import TransparencyReport

MAX_COUNTRIES = 15


def _transparency_png(report: TransparencyReport) -> bytes:
    rows = report.rows[:MAX_COUNTRIES]
    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    labels = [r.country for r in rows] or ["—"]
    positions = range(len(labels))
    width = 0.27
    series = (
        ("received", [r.received for r in rows] or [0], -width),
        ("fulfilled", [r.fulfilled for r in rows] or [0], 0.0),
        ("rejected", [r.rejected for r in rows] or [0], width),
    )
    for name, values, offset in series:
        axes.bar([p + offset for p in positions], values, width, label=name)
    axes.set_xticks(list(positions), labels)
    axes.set_ylabel("requests")
    axes.set_title(f"Legal requests by country, {report.period.label}")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


async def transparency_chart(report: TransparencyReport) -> bytes:
    return await asyncio.to_thread(_transparency_png, report)
