"""Leads' charts as PNG: matplotlib's Agg backend, in-process, no browser and no network.

Four panels from one `Figures`: the both-answered rate per layer, the depth funnel, the time to
reciprocate (a box from the percentiles, never the raw waits) and the ratings histogram. Only
numbers and the fixed labels in `bot.reports.texts` are drawn, and the PNG is saved without any
metadata text (matplotlib would add its "Software" key), so no name or answer can be in it.

Rendering takes about 0.1 s, so it runs in a worker thread (`render`), never on the event loop;
one lock keeps two renders from sharing matplotlib's font cache at once. Labels and the alt text
are in the current reader's language (the worker thread runs in a copy of the caller's context).
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.engine.model import RATING_RANGE, DeliveryKind
from bot.i18n.translate import _
from bot.reports.figures import LAYERS, Figures
from bot.reports.texts import (
    CHART_NO_DATA,
    CHART_RATES,
    CHART_RATINGS,
    CHART_WAITS,
    chart_alt_text,
    chart_funnel_title,
    chart_layer_label,
    chart_rate_label,
    chart_waits_label,
)

SIZE_INCHES = (9.0, 6.0)
DPI = 100
BLUE, GREEN, GREY = "#5865F2", "#2BAC76", "#9AA0A6"
FILENAME = "rapport-stats.png"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Chart:
    """A PNG ready to attach, with its alt text (also sent as the image's description)."""

    png: bytes
    alt: str
    filename: str = FILENAME


# deliveries that carry a chart of their `figures`
CHARTED = frozenset({DeliveryKind.REPORT_FOLLOW_UP, DeliveryKind.STATS_DIGEST})


async def for_delivery(kind: DeliveryKind, data: Mapping[str, Any]) -> Chart | None:
    """The chart a delivery carries, or None (none for its kind, or figures withheld)."""
    if kind not in CHARTED or "figures" not in data:
        return None
    figures = Figures.from_data(data["figures"])
    return None if figures.withheld else await render(figures)


async def render(figures: Figures) -> Chart:
    """The chart for `figures`, drawn in a worker thread, in the current reader's language
    (the thread runs in a copy of this context, so it reads the same language)."""
    png = await asyncio.to_thread(render_png, figures)
    return Chart(png, chart_alt_text(figures))


def render_png(figures: Figures) -> bytes:
    with _LOCK:
        # a Figure on the Agg canvas, never pyplot: no display, no GUI toolkit, no global state
        figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        (rates, funnel), (waits, ratings) = figure.subplots(2, 2)
        _rates(rates, figures)
        _funnel(funnel, figures)
        _waits(waits, figures)
        _ratings(ratings, figures)
        out = io.BytesIO()
        # metadata=None keys: matplotlib writes no tEXt chunk at all
        figure.savefig(out, format="png", metadata={"Software": None})
        return out.getvalue()


def _layer_labels() -> list[str]:
    return [chart_layer_label(layer) for layer in LAYERS]


def _rates(ax: Axes, figures: Figures) -> None:
    rates = [figures.rate(layer) for layer in LAYERS]
    ax.bar(_layer_labels(), [100 * (r or 0) for r in rates], color=BLUE)
    for x, (rate, opened) in enumerate(zip(rates, figures.opened, strict=True)):
        if rate is not None:
            ax.annotate(chart_rate_label(rate, opened), (x, 100 * rate), ha="center", va="bottom")
    ax.set_ylim(0, 115)
    ax.set_ylabel("%")
    ax.set_title(_(CHART_RATES))


def _funnel(ax: Axes, figures: Figures) -> None:
    ax.bar(_layer_labels(), figures.funnel, color=GREEN)
    for x, count in enumerate(figures.funnel):
        ax.annotate(str(count), (x, count), ha="center", va="bottom")
    ax.set_ylim(0, max(1, *figures.funnel) * 1.15)
    ax.set_title(chart_funnel_title(figures.rounds))


def _waits(ax: Axes, figures: Figures) -> None:
    spread = figures.reciprocation
    ax.set_title(_(CHART_WAITS))
    if spread is None:
        _empty(ax)
        return
    box = {
        "whislo": spread.p10,
        "q1": spread.p25,
        "med": spread.median,
        "q3": spread.p75,
        "whishi": spread.p90,
        "fliers": [],
    }
    ax.bxp([box], orientation="horizontal", widths=0.5, showfliers=False)
    ax.set_yticks([])
    ax.set_xlabel(chart_waits_label(spread.median, spread.count))


def _ratings(ax: Axes, figures: Figures) -> None:
    ax.set_title(_(CHART_RATINGS))
    ax.bar([str(n) for n in RATING_RANGE], figures.ratings, color=GREY)
    ax.set_ylim(0, max(1, *figures.ratings) * 1.15)
    if not figures.rated:
        _empty(ax)


def _empty(ax: Axes) -> None:
    ax.text(0.5, 0.5, _(CHART_NO_DATA), ha="center", va="center", transform=ax.transAxes)
