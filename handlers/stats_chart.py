"""The /stats chart: reports and decisions per day as a PNG, drawn with matplotlib's Agg canvas
in a worker thread so the event loop keeps serving updates while it renders.

matplotlib is imported when the first chart is drawn, not with the module: it takes about half
a second, which every start-up and every test that builds the Application would otherwise pay
for a chart it may never draw. The first /stats after a start pays it once, in the worker thread.
"""

from __future__ import annotations

import asyncio
import io
from typing import Final

from handlers.stats_views import ChartLabels
from moderation.stats.figures import DayCount

#: Up to this many days the two series are drawn as side-by-side bars, beyond as lines.
BARS_UP_TO_DAYS: Final = 62
#: About this many dates are written under the x axis.
TICKS: Final = 8


def stats_png(days: tuple[DayCount, ...], labels: ChartLabels) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    # A bare Figure on an explicit Agg canvas: no pyplot, no display, no global state.
    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    x = list(range(len(days)))
    reports = [d.reports for d in days]
    decisions = [d.decisions for d in days]
    if len(days) <= BARS_UP_TO_DAYS:
        width = 0.4
        axes.bar([v - width / 2 for v in x], reports, width, label=labels.reports)
        axes.bar([v + width / 2 for v in x], decisions, width, label=labels.decisions)
    else:
        axes.plot(x, reports, label=labels.reports, linewidth=1)
        axes.plot(x, decisions, label=labels.decisions, linewidth=1)
    step = max(1, -(-len(days) // TICKS))
    one_year = len({d.day.year for d in days}) <= 1
    axes.set_xticks(
        x[::step],
        [d.day.strftime("%m-%d" if one_year else "%Y-%m-%d") for d in days[::step]],
        rotation=30 if one_year else 45,
    )
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.set_title(labels.title)
    axes.legend(loc="upper left")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


async def stats_chart(days: tuple[DayCount, ...], labels: ChartLabels) -> bytes:
    return await asyncio.to_thread(stats_png, days, labels)
