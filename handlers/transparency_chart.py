"""The /transparency chart: requests received, fulfilled and rejected per country as a PNG,
drawn with matplotlib's Agg canvas in a worker thread so the event loop keeps serving updates
while it renders.

matplotlib is imported when the first chart is drawn, as for /stats (handlers/stats_chart.py):
the first chart after a start pays the half second once, nothing else does.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import Final

from moderation.legal.transparency import TransparencyReport

#: The countries drawn (the report's order: most requests first); the rest are in the table.
MAX_COUNTRIES: Final = 15
WIDTH_PX: Final = 800
HEIGHT_PX: Final = 450


@dataclass(frozen=True, slots=True)
class ChartLabels:
    title: str
    received: str
    fulfilled: str
    rejected: str
    axis: str


def transparency_png(report: TransparencyReport, labels: ChartLabels) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    # A bare Figure on an explicit Agg canvas: no pyplot, no display, no global state.
    figure = Figure(figsize=(WIDTH_PX / 100, HEIGHT_PX / 100), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    countries = report.countries[:MAX_COUNTRIES]
    x = list(range(len(countries)))
    width = 0.27
    series = (
        (labels.received, [c.received for c in countries], -width),
        (labels.fulfilled, [c.fulfilled for c in countries], 0.0),
        (labels.rejected, [c.rejected for c in countries], width),
    )
    for label, values, offset in series:
        axes.bar([v + offset for v in x], values, width, label=label)
    axes.set_xticks(x, [c.country for c in countries])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.set_ylabel(labels.axis)
    axes.set_title(labels.title)
    axes.legend(loc="upper right")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


async def transparency_chart(report: TransparencyReport, labels: ChartLabels) -> bytes:
    return await asyncio.to_thread(transparency_png, report, labels)
