"""Distribution charts of the statewide page: one histogram per key measure, with its data table.

The same bins feed the SVG (an ``<img>`` with alt text) and the table beside it, so the
picture and the numbers cannot disagree. Drawn the house way (see ``charts``): a bare
``Figure`` under the report charts' rc settings, SVG with real text.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .charts import INSIDE, _svg_uri, drawing

BINS = 10


@dataclass(frozen=True, slots=True)
class Distribution:
    """One measure across districts: its bins (label, districts), chart and summary."""

    key: str
    title: str
    bins: list[tuple[str, int]]
    measured: int  # districts with a value
    missing: int  # districts without one (no accepted evaluation, or undefined)
    alt: str
    uri: str


def _edges(values: Sequence[float], lo: float | None, hi: float | None, whole: bool) -> list[float]:
    lo = min(values) if lo is None else lo
    hi = max(values) if hi is None else max(hi, max(values))
    if whole:  # counts: one bin per whole number, up to BINS bins
        top = int(math.ceil(hi))
        step = max(1, math.ceil((top + 1) / BINS))
        return [float(v) for v in range(0, top + step + 1, step)]
    if hi <= lo:
        hi = lo + 1.0
    return [lo + (hi - lo) * i / BINS for i in range(BINS + 1)]


def _count(values: Sequence[float], edges: list[float]) -> list[int]:
    counts = [0] * (len(edges) - 1)
    for v in values:
        i = next((k for k in range(len(counts)) if v < edges[k + 1]), len(counts) - 1)
        counts[i] += 1
    return counts


def _label(a: float, b: float, fmt: Callable[[float], str], whole: bool, last: bool) -> str:
    if whole:
        hi = int(b) - 1
        return str(int(a)) if hi <= a else f"{int(a)} to {hi}"
    return f"{fmt(a)} to {'' if last else 'under '}{fmt(b)}"


def _figure(title: str, ticks: list[str], counts: list[int], axis: str) -> str:
    from matplotlib.ticker import MaxNLocator  # matplotlib with the first chart (charts.drawing)

    with drawing(2.6, 5.0) as fig:
        ax = fig.add_subplot()
        ax.bar(range(len(counts)), counts, color=INSIDE)
        ax.set_xticks(range(len(counts)), ticks, rotation=40, ha="right", fontsize=6)
        ax.set_xlabel(axis, fontsize=7)
        ax.set_ylabel("Districts")
        ax.set_title(title)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # districts come whole
        fig.tight_layout()
        return _svg_uri(fig)


def _in_sentence(title: str) -> str:
    """A title inside a sentence: its first word lowercased unless it is an acronym ("ED", "INT-01"),
    the rest as written ("Multigroup dissimilarity (D)" -> "multigroup dissimilarity (D)")."""
    first = title.split(" ", 1)[0]
    if len(first) > 1 and first[1].isupper():
        return title
    return title[:1].lower() + title[1:]


def distribution(key: str, title: str, values: Sequence[float | None], fmt: Callable[[float], str], *,
                 lo: float | None = 0.0, hi: float | None = None, whole: bool = False) -> Distribution:
    """Bin ``values`` (None: not measured) and draw them; ``whole`` bins counts by whole numbers."""
    present = [float(v) for v in values if v is not None]
    missing = len(values) - len(present)
    if not present:
        return Distribution(key, title, [], 0, missing, f"{title}: no district has a value yet.", "")
    edges = _edges(present, lo, hi, whole)
    counts = _count(present, edges)
    labels = [_label(edges[i], edges[i + 1], fmt, whole, i == len(counts) - 1) for i in range(len(counts))]
    # Full ranges are in the table; the axis names each bar by its lower edge, so labels stay short.
    ticks = labels if whole else [fmt(edges[i]) for i in range(len(counts))]
    axis = "Value" if whole else "Lower edge of each range (see the table)"
    districts = f"{len(present)} district{'s' if len(present) != 1 else ''}"
    alt = (f"Histogram of {_in_sentence(title)} across {districts}: median {fmt(statistics.median(present))}, "
           f"lowest {fmt(min(present))}, highest {fmt(max(present))}. The table beside it lists every bar.")
    return Distribution(key, title, list(zip(labels, counts)), len(present), missing, alt,
                        _figure(title, ticks, counts, axis))
