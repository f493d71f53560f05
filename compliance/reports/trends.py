"""Context for the key measures: the district's previous decided submissions, and the state's other
districts in the same cycle (both gathered by the caller into the ReportContext)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from . import context_charts
from . import formatting as fmt
from .context import ReportContext
from .view_schools import get as _get

PEERS_MIN = 2  # other districts needed before the state's distribution says anything


@dataclass(frozen=True, slots=True)
class ContextMeasure:
    label: str
    path: tuple[str, ...]
    kind: str  # "index" or "points"
    lower_is_better: bool
    better: str  # how a lower (or higher) value reads: "more even"

    def text(self, value: Any) -> str:
        return fmt.points(value) if self.kind == "points" else fmt.index(value)


MEASURES = (
    ContextMeasure("Multigroup dissimilarity D (race)", ("dissimilarity", "multigroup"), "index", True, "more even"),
    ContextMeasure("D, ED vs not ED", ("dissimilarity", "ed_not_ed"), "index", True, "more even"),
    ContextMeasure("Progressivity of spending", ("resources", "progressivity"), "index", False, "more progressive"),
    ContextMeasure("Inexperienced-teacher gap, poverty quartiles", ("resources", "inexperienced_gap_poverty"),
                   "points", True, "a smaller gap"),
)


def _own(ctx: ReportContext) -> dict[str, Any]:
    return (ctx.evaluation.get("measures") or {}).get("district") or {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def history(ctx: ReportContext) -> dict[str, Any] | None:
    """The key measures of each previous decided submission and of this one, oldest first."""
    if not ctx.history:
        return None
    columns = [str(h.get("label") or "") for h in ctx.history] + [f"{ctx.cycle} (this report)"]
    blocks = [h.get("measures") or {} for h in ctx.history] + [_own(ctx)]
    rows = [{"label": m.label, "cells": [m.text(_get(b, *m.path)) for b in blocks]} for m in MEASURES]
    series = [(m.label, [_number(_get(b, *m.path)) for b in blocks]) for m in MEASURES[:2]]
    chart = context_charts.trend_chart(columns, series)
    outcomes = [f"{h.get('label')}: {h.get('outcome')}" for h in ctx.history if h.get("outcome")]
    return {"columns": columns, "rows": rows, "chart": chart, "outcomes": "; ".join(outcomes)}


def _standing(m: ContextMeasure, own: float, values: list[float]) -> str:
    better = sum(1 for v in values if (v > own if m.lower_is_better else v < own))
    return f"{m.better} than {better} of the {len(values)}"


def state_distribution(ctx: ReportContext) -> dict[str, Any] | None:
    """Where the district's key measures stand among the state's other districts this cycle."""
    if len(ctx.peers) < PEERS_MIN:
        return None
    rows, strips = [], []
    for m in MEASURES:
        own = _number(_get(_own(ctx), *m.path))
        values = sorted(v for p in ctx.peers if (v := _number(_get(p, *m.path))) is not None)
        if own is None or len(values) < PEERS_MIN:
            continue
        rows.append({"label": m.label, "own": m.text(own), "median": m.text(statistics.median(values)),
                     "range": f"{m.text(values[0])} to {m.text(values[-1])}", "standing": _standing(m, own, values)})
        strips.append(context_charts.Strip(m.label, own, values, m.kind, m.lower_is_better))
    if not rows:
        return None
    return {"rows": rows, "districts": len(ctx.peers), "chart": context_charts.strip_chart(strips, ctx.district_name)}


def context_view(ctx: ReportContext) -> dict[str, Any] | None:
    past, state = history(ctx), state_distribution(ctx)
    if past is None and state is None:
        return None
    return {"history": past, "state": state}
