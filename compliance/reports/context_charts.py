"""Small context charts: key measures over the district's decided submissions, and among the state's districts.

Drawn the house way (see ``charts``): a bare ``Figure`` under the report charts' rc settings,
SVG with real text, the numbers also in a table beside the figure.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import formatting as fmt
from .charts import INSIDE, OUTSIDE, WIDTH_IN, Chart, _svg_uri, drawing

_SERIES_STYLES = ((INSIDE, "o", "-"), ("#7a5a00", "s", "--"))


def trend_chart(columns: list[str], series: list[tuple[str, list[float | None]]]) -> Chart:
    """One line per measure across submissions (oldest first), on the 0 to 1 scale of D."""
    title = "Dissimilarity over the district\u2019s decided submissions"
    with drawing(2.0, WIDTH_IN * 0.75) as fig:
        ax = fig.add_subplot()
        xs = list(range(len(columns)))
        for (label, values), (color, marker, line) in zip(series, _SERIES_STYLES):
            points = [(x, v) for x, v in zip(xs, values) if v is not None]
            ax.plot([p[0] for p in points], [p[1] for p in points], color=color, marker=marker, ls=line, lw=1.2,
                    ms=4, label=label)
        ax.set_xticks(xs, columns)
        ax.set_xlim(-0.4, len(columns) - 0.6)
        ax.set_ylim(0, 1)
        ax.set_ylabel("D")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=7, frameon=False)
        fig.tight_layout()
        uri = _svg_uri(fig)
    parts = [f"{label}: " + ", ".join(f"{c} {fmt.index(v)}" for c, v in zip(columns, values))
             for label, values in series]
    alt = f"Line chart of dissimilarity over {len(columns)} submissions. " + "; ".join(parts) + "."
    caption = "One point per decided submission, and this report\u2019s on the right; lower is more even."
    return Chart(title=title, alt=alt, uri=uri, width_in=WIDTH_IN * 0.75, height_in=2.0, caption=caption)


@dataclass(frozen=True, slots=True)
class Strip:
    """One measure: this district's value among the other districts' values."""

    label: str
    own: float
    values: list[float]
    kind: str  # "index" or "points"
    lower_is_better: bool

    def text(self, value: float) -> str:
        return fmt.points(value) if self.kind == "points" else fmt.index(value)


def strip_chart(strips: list[Strip], district: str) -> Chart:
    """A row of dots per measure: the other districts in grey, this district as an orange diamond."""
    title = "Key measures among the state\u2019s districts this cycle"
    height = 0.55 + 0.62 * len(strips)
    with drawing(height) as fig:
        axes = fig.subplots(len(strips), 1, squeeze=False)[:, 0]
        for ax, s in zip(axes, strips):
            scale = 100 if s.kind == "points" else 1
            ax.scatter([v * scale for v in s.values], [0] * len(s.values), s=14, color="#8c8c8c", lw=0,
                       label="other districts")
            ax.scatter([s.own * scale], [0], s=46, color=OUTSIDE, marker="D", label=district[:40], zorder=3)
            ax.set_yticks([])
            ax.set_ylim(-1, 1)
            ax.spines["left"].set_visible(False)
            ax.set_title(s.label + (" (points)" if s.kind == "points" else ""), fontsize=7.5, loc="left", pad=2)
            ax.tick_params(axis="x", labelsize=7)
        axes[0].legend(loc="lower right", bbox_to_anchor=(1.0, 1.25), ncol=2, fontsize=7, frameon=False)
        fig.tight_layout(h_pad=0.4)
        uri = _svg_uri(fig)
    parts = []
    for s in strips:
        rank = sum(1 for v in s.values if (v > s.own if s.lower_is_better else v < s.own))
        worse = "higher" if s.lower_is_better else "lower"
        parts.append(f"{s.label}: {s.text(s.own)}, against {s.text(min(s.values))} to {s.text(max(s.values))} "
                     f"in {len(s.values)} other districts ({rank} of them {worse})")
    alt = ("Dot plots, one per measure, of this district among the state\u2019s other districts. "
           + "; ".join(parts) + ".")
    caption = "Grey dots are the state\u2019s other districts this cycle, the orange diamond this district."
    return Chart(title=title, alt=alt, uri=uri, width_in=WIDTH_IN, height_in=height, caption=caption)
