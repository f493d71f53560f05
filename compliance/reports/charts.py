"""Report charts: matplotlib SVG with real text, embedded as data URIs with alt text.

No pyplot: each chart is its own ``Figure`` (no global figure registry, safe in a
worker), and the SVG settings live in an ``rc_context`` so nothing leaks into other
matplotlib users. Text stays text (``svg.fonttype = none``) so it extracts from the PDF.

Suppressed shares (see suppression.py) arrive as ranges (lo < hi) and are drawn as
ranges (hatched bar, open marker with a range line), never as exact points.
"""
from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from compliance.rules.labels import MEASURES

from . import formatting as fmt

# Large sets switch to cheaper, summarizing forms (layout and SVG size stay bounded).
MAX_BARS = 40
RASTERIZE_ABOVE = 300
MAX_NAMED = 8

_RC: Any = {  # matplotlib's stubs want literal keys
    "svg.fonttype": "none",
    "svg.hashsalt": "equity-report",  # stable ids: the same data gives the same SVG
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
INSIDE = "#4a6f96"
OUTSIDE = "#c0561e"
BAND_FILL = "#dfe7ef"
WIDTH_IN = 6.5


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    alt: str
    uri: str  # data:image/svg+xml;base64,...
    width_in: float
    height_in: float
    # What the figure shows, for sighted readers (the alt text gives the numbers to others).
    caption: str = ""


@dataclass(frozen=True, slots=True)
class SharePoint:
    """One school's share as a reader may learn it: lo == hi when printed exactly."""

    name: str
    lo: float
    hi: float
    label: str  # the printed share, e.g. "61%" or ">97%"

    @property
    def mid(self) -> float:
        return (self.lo + self.hi) / 2

    @property
    def exact(self) -> bool:
        return self.lo == self.hi


@contextmanager
def drawing(height: float, width: float = WIDTH_IN) -> Iterator[Figure]:
    """A figure in the report's style (every chart module draws in one). matplotlib is loaded with
    the first chart, not with the modules: every command and worker loads the report modules, and
    matplotlib took 0.4 s of that."""
    import matplotlib  # with the first chart, not with the module (see above)
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        yield Figure(figsize=(width, height))


def _svg_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _margins(fig: Figure, left: float, right: float = 0.15, top: float = 0.35, bottom: float = 0.45) -> None:
    """Fixed margins in inches (legend above, axis label below): tight_layout would draw the figure
    twice, and a report of a large district draws several."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height)


def _names(items: Sequence[str]) -> str:
    shown = list(items[:MAX_NAMED])
    rest = len(items) - len(shown)
    text = "; ".join(shown)
    return text + (f"; and {rest} more" if rest > 0 else "")


def _short(name: str, limit: int = 30) -> str:
    name = name if len(name) <= limit else name[: limit - 1] + "\u2026"
    return name.replace("$", "\\$")  # a "$" would switch matplotlib to math text


def _outside(p: SharePoint, lo: float, hi: float) -> bool:
    # A range counts as outside only if all of it is: the chart never guesses a hidden value.
    return p.hi < lo or p.lo > hi


def composition_chart(
    band: str,
    band_share: float,
    width: float,
    points: list[SharePoint],
    not_shown: int = 0,
    group: str = "students_of_color",
) -> Chart:
    """Each school's share of ``group`` against the band's share and the +/- ``width`` band."""
    lo, hi = max(0.0, band_share - width), min(1.0, band_share + width)
    outside = [p for p in points if _outside(p, lo, hi)]
    label = fmt.group_label(group)
    band_name = fmt.band_label(band).split(" (")[0].lower()
    title = f"Share of {label}, {band_name} schools"
    bars = len(points) <= MAX_BARS
    height = 0.9 + 0.24 * max(len(points), 1) if bars else 2.6
    with drawing(height) as fig:
        ax = fig.add_subplot()
        ax.axvspan(lo * 100, hi * 100, color=BAND_FILL, zorder=0, label=f"band \u00b1{width * 100:.0f} points")
        ax.axvline(band_share * 100, color="#222222", lw=1, ls="--", label=f"band share {band_share * 100:.0f}%")
        if bars:
            _share_bars(ax, points, lo, hi)
            kind = "Bar chart"
            what = (f"each of the {len(points)} {band_name} schools" if len(points) != 1
                    else f"the one {band_name} school")
        else:
            _share_histogram(ax, points, outside, lo, hi)
            kind = "Histogram"
            what = f"the {len(points)} {band_name} schools, in 5-point bins"
        ax.set_xlim(0, 108)
        ax.set_xlabel(f"share of {label} (%)")
        # Above the axes: inside, the legend would cover bars or their labels.
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, fontsize=7, frameon=False)
        longest = max((len(_short(p.name)) for p in points), default=10) if bars else 0
        _margins(fig, left=min(2.1, 0.25 + 0.062 * longest) if bars else 0.6)
        uri = _svg_uri(fig)
    if bars:
        caption = (f"Each bar is a school\u2019s share of {label}. The shaded area is the band\u2019s share "
                   f"\u00b1{width * 100:.0f} points; orange hatched bars lie outside it. A cross-hatched end "
                   "marks the range a suppressed share lies in.")
    else:
        caption = (f"Schools by their share of {label}, in 5-point bins; the orange hatched part of a bin lies "
                   f"outside the band\u2019s share \u00b1{width * 100:.0f} points (the shaded area).")
    alt = (
        f"{kind}: share of {label} at {what}, against the band's {band_share * 100:.0f}%; "
        f"{len(outside)} of {len(points)} {'lies' if len(outside) == 1 else 'lie'} outside the "
        f"{lo * 100:.0f}% to {hi * 100:.0f}% range"
    )
    if outside:
        alt += ": " + _names([f"{p.name} ({p.label})" for p in sorted(outside, key=lambda p: -abs(p.mid - band_share))])
    alt += "."
    if not_shown:
        alt += (f" {not_shown} school(s) whose share is suppressed without a printable range "
                "(small enrollment or complementary suppression) are not drawn.")
    return Chart(title=title, alt=alt, uri=uri, width_in=WIDTH_IN, height_in=height, caption=caption)


def _share_bars(ax, points: list[SharePoint], lo: float, hi: float) -> None:
    """One bar per school, a hidden share drawn as the hatched range it could lie in."""
    ordered = sorted(points, key=lambda p: p.mid)
    for y, p in enumerate(ordered):
        out = _outside(p, lo, hi)
        color = OUTSIDE if out else INSIDE
        ax.barh(y, p.lo * 100, color=color, hatch="//" if out else None, edgecolor="white", height=0.7)
        if not p.exact:  # the range a hidden share could lie in
            ax.barh(y, (p.hi - p.lo) * 100, left=p.lo * 100, color="white", edgecolor=color,
                    hatch="xxx", height=0.7, lw=0.5)
        ax.text(p.hi * 100 + 1, y, p.label, va="center", fontsize=7)
    ax.set_yticks(range(len(ordered)), [_short(p.name) for p in ordered])
    ax.set_ylim(-0.6, len(ordered) - 0.4)


def _share_histogram(ax, points: list[SharePoint], outside: list[SharePoint], lo: float, hi: float) -> None:
    """Schools per 5-point bin, those outside the band stacked and hatched."""
    from matplotlib import ticker  # matplotlib with the first chart (drawing)

    bins = [i * 5 for i in range(21)]
    inside_vals = [p.mid * 100 for p in points if not _outside(p, lo, hi)]
    outside_vals = [p.mid * 100 for p in outside]
    ax.hist([inside_vals, outside_vals], bins=bins, stacked=True, color=[INSIDE, OUTSIDE],
            hatch=None, label=["within band", "outside band"], edgecolor="white", lw=0.5)
    for patch in ax.patches[-20:]:
        patch.set_hatch("//")
    ax.set_ylabel("schools")
    ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))  # whole schools


@dataclass(frozen=True, slots=True)
class SpendingPoint:
    name: str
    ed: SharePoint
    ppe: float
    enrollment: int
    title_i: bool = False


def _weighted_slope(points: list[SpendingPoint]) -> float | None:
    w = [p.enrollment for p in points]
    sw = sum(w)
    if sw <= 0 or len(points) < 3:
        return None
    mx = sum(wi * p.ed.mid for wi, p in zip(w, points)) / sw
    my = sum(wi * p.ppe for wi, p in zip(w, points)) / sw
    sxx = sum(wi * (p.ed.mid - mx) ** 2 for wi, p in zip(w, points))
    if sxx == 0:
        return None
    return sum(wi * (p.ed.mid - mx) * (p.ppe - my) for wi, p in zip(w, points)) / sxx


# Title I schools against the others (the comparison schools of RES-01/RES-02): shape and colour both.
_SPENDING_KINDS = ((True, "^", OUTSIDE, "Title I school"), (False, "o", INSIDE, "other (comparison) school"))


def _spending_markers(ax, points: list[SpendingPoint], big: bool) -> None:
    for title_i, marker, color, label in _SPENDING_KINDS:
        exact = [p for p in points if p.ed.exact and p.title_i == title_i]
        ranged = [p for p in points if not p.ed.exact and p.title_i == title_i]
        if exact:
            ax.scatter([p.ed.mid * 100 for p in exact], [p.ppe for p in exact], s=8 if big else 24, color=color,
                       marker=marker, rasterized=big, label=label, lw=0)
        if ranged:
            ax.errorbar([p.ed.mid * 100 for p in ranged], [p.ppe for p in ranged],
                        xerr=[[(p.ed.mid - p.ed.lo) * 100 for p in ranged],
                              [(p.ed.hi - p.ed.mid) * 100 for p in ranged]],
                        fmt=marker, mfc="white", mec=color, ecolor=color, ms=4, lw=0.8,
                        label=f"{label}, ED share suppressed (range)")


def _honest_range(ax, values: list[float], mean: float | None) -> None:
    """A spending axis at least 30% of the mean tall: a few dollars' spread must not fill the chart."""
    if not values:
        return
    lo, hi = min(values), max(values)
    center = mean if mean is not None else (lo + hi) / 2
    half = max(hi - lo, 0.3 * abs(center)) * 0.55
    mid = (lo + hi) / 2
    ax.set_ylim(max(0.0, mid - half), mid + half)


def spending_chart(points: list[SpendingPoint], mean_ppe: float | None, progressivity: float | None) -> Chart:
    """State/local spending per pupil against ED share, one marker per school, Title I apart."""
    title = "Spending per pupil against the share of economically disadvantaged students"
    from matplotlib import ticker  # matplotlib with the first chart (drawing)

    with drawing(3.3) as fig:
        ax = fig.add_subplot()
        _spending_markers(ax, points, len(points) > RASTERIZE_ABOVE)
        if mean_ppe is not None:
            ax.axhline(mean_ppe, color="#222222", lw=1, ls="--", label=f"pupil-weighted mean {fmt.money(mean_ppe)}")
        ax.set_xlim(0, 100)
        _honest_range(ax, [p.ppe for p in points], mean_ppe)
        ax.set_xlabel("economically disadvantaged students (%)")
        ax.set_ylabel("state and local spending per pupil ($)")
        ax.yaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
        # Above the axes: with many schools any spot inside would hide points.
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=7, frameon=False)
        _margins(fig, left=0.95, top=0.62)
        uri = _svg_uri(fig)
    caption = ("Each marker is a school: triangles are Title I schools, circles the other schools they are "
               "compared with; the dashed line is the pupil-weighted mean.")
    if not points:
        alt = "Scatter plot: no school has both a budget row and enrollment, so nothing is drawn."
        return Chart(title=title, alt=alt, uri=uri, width_in=WIDTH_IN, height_in=3.3, caption=caption)
    return Chart(title=title, alt=_spending_alt(points, mean_ppe, progressivity), uri=uri, width_in=WIDTH_IN,
                 height_in=3.3, caption=caption)


def _spending_alt(points: list[SpendingPoint], mean_ppe: float | None, progressivity: float | None) -> str:
    low = min(points, key=lambda p: p.ppe)
    high = max(points, key=lambda p: p.ppe)
    title_i = [p for p in points if p.title_i]
    alt = (
        f"Scatter plot: state and local spending per pupil against the share of economically "
        f"disadvantaged students at {len(points)} schools, {len(title_i)} of them Title I. Spending runs from "
        f"{fmt.money(low.ppe)} ({low.name}, {low.ed.label} ED) to {fmt.money(high.ppe)} ({high.name}, "
        f"{high.ed.label} ED)"
    )
    if mean_ppe is not None:
        alt += f"; the pupil-weighted mean is {fmt.money(mean_ppe)}"
    slope = _weighted_slope(points)
    if slope is not None:
        direction = "rises" if slope > 0 else "falls"
        alt += (f". Spending {direction} with poverty: the pupil-weighted trend is "
                f"{fmt.money(slope / 10)} per 10 points of ED share")
    if progressivity is not None:
        alt += f"; progressivity (highest- over lowest-poverty quartile) is {fmt.index(progressivity, 2)}"
    ranged = sum(1 for p in points if not p.ed.exact)
    if ranged:
        alt += f". {ranged} school(s) with a suppressed ED share are drawn as ranges"
    return alt + "."


def dissimilarity_chart(rows: list[tuple[str, float | None, float | None, str]], warning_at: float,
                        finding_at: float) -> Chart:
    """Multigroup and ED/not-ED dissimilarity for the district and each band, with the cut points.

    ``rows`` are (label, multigroup, ED vs not ED, note): a note ("not applicable (one school)")
    replaces the bars of a band where the index cannot say anything.
    """
    title = "Dissimilarity index by grade band"
    labels = [r[0] for r in rows]
    from matplotlib import transforms  # matplotlib with the first chart (drawing)

    height = 1.1 + 0.42 * len(rows)
    with drawing(height) as fig:
        ax = fig.add_subplot()
        ys = list(range(len(rows)))
        drawn = [(y, r) for y, r in zip(ys, rows) if not r[3]]
        ax.barh([y - 0.18 for y, _ in drawn], [r[1] or 0 for _, r in drawn], height=0.34, color=INSIDE,
                label=MEASURES["multigroup"])
        ax.barh([y + 0.18 for y, _ in drawn], [r[2] or 0 for _, r in drawn], height=0.34, color="#9cb3cc",
                hatch="\\\\", edgecolor="white", label=MEASURES["ed_not_ed"])
        ax.axvline(warning_at, color="#8a6d00", ls="--", lw=1, label=f"moderate from {warning_at:g}")
        ax.axvline(finding_at, color=OUTSIDE, ls="-.", lw=1, label=f"high from {finding_at:g}")
        # Values in a column right of the axes: inside, a label would sit on a threshold line.
        right = transforms.blended_transform_factory(ax.transAxes, ax.transData)
        for y, r in zip(ys, rows):
            if r[3]:
                ax.text(0.03, y, r[3], va="center", ha="left", fontsize=7, style="italic", color="#333333")
                continue
            for off, v in ((-0.18, r[1]), (0.18, r[2])):
                ax.text(1.01, y + off, fmt.index(v) if v is not None else "n/a", va="center", fontsize=7,
                        transform=right)
        ax.set_yticks(ys, labels)
        ax.set_ylim(len(rows) - 0.5, -0.5)  # every row, a band without bars too; the district on top
        ax.set_xlim(0, 1)
        ax.set_xlabel("dissimilarity index D (0 = even, 1 = complete separation)")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, fontsize=7, frameon=False)
        _margins(fig, left=0.8, right=0.5)
        uri = _svg_uri(fig)
    parts = []
    for label, multi, ed, note in rows:
        if note:
            parts.append(f"{label}: {note}")
            continue
        parts.append(f"{label}: multigroup {fmt.index(multi)} ({fmt.reading_of_d(multi, warning_at, finding_at)}), "
                     f"ED vs not ED {fmt.index(ed)} ({fmt.reading_of_d(ed, warning_at, finding_at)})")
    alt = (f"Bar chart: dissimilarity index for {', '.join(labels)}, with lines at {warning_at:g} (moderate) "
           f"and {finding_at:g} (high). " + "; ".join(parts) + ".")
    caption = (f"Each pair of bars: multigroup D (race) and D for economically disadvantaged students; the "
               f"dashed lines mark a moderate ({warning_at:g}) and a high ({finding_at:g}) level.")
    return Chart(title=title, alt=alt, uri=uri, width_in=WIDTH_IN, height_in=height, caption=caption)
