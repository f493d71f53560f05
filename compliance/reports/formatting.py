"""How numbers read in the report: one place, so the text, tables and alt texts agree.

Precision (stated in the methodology appendix): indices (D, H, isolation, exposure, CV,
McLoone, Verstegen, ratios) to 3 decimals; shares to 1 decimal in findings and summaries,
whole percent in the per-school data appendix; gaps in percentage points to 1 decimal;
money to whole dollars. ``None`` (an undefined measure) reads "not applicable", never 0.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from compliance.rules.labels import BANDS, GROUPS, group_heading

NA = "not applicable"

# The words come from the one table of labels (compliance.rules.labels).
BAND_LABELS = BANDS
GROUP_LABELS = {key: label.heading for key, label in GROUPS.items()}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def index(value: Any, decimals: int = 3) -> str:
    return f"{value:.{decimals}f}" if _is_number(value) else NA


def pct(value: Any, decimals: int = 1) -> str:
    return f"{value * 100:.{decimals}f}%" if _is_number(value) else NA


def points(value: Any, decimals: int = 1, signed: bool = False) -> str:
    """A difference of two shares, in percentage points."""
    if not _is_number(value):
        return NA
    text = f"{value * 100:+.{decimals}f}" if signed else f"{value * 100:.{decimals}f}"
    return text.replace("-", "\u2212") + " points"


def money(value: Any) -> str:
    if not _is_number(value):
        return NA
    sign = "\u2212" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def number(value: Any, decimals: int = 1) -> str:
    if not _is_number(value):
        return NA
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 100:
        return f"{int(value):,}"
    return f"{value:,.{decimals}f}"


def band_label(band: str | None) -> str:
    return BAND_LABELS.get(band or "", (band or "district").capitalize())


def group_label(group: str) -> str:
    return group_heading(group)


_WORDS = {"ed": "ED", "ppe": "per-pupil expenditure", "fte": "FTE", "d": "D", "cv": "CV", "mcloone": "McLoone",
          "verstegen": "Verstegen", "theil": "Theil", "int": "INT", "res": "RES"}


def humanize(key: str) -> str:
    """``school_share`` -> "School share", ``max_cv`` -> "Max CV", ``non_title_i_ratio`` -> "Non Title I ratio"."""
    words = [_WORDS.get(w.lower(), w) for w in key.replace("-", "_").split("_") if w]
    text = " ".join(words).replace("title i", "Title I")
    return text[:1].upper() + text[1:]


def when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%B %-d, %Y, %H:%M %Z").strip().rstrip(",")
    if isinstance(value, date):
        return value.strftime("%B %-d, %Y")
    return str(value) if value else ""


def reading_of_d(value: Any, warning_at: float = 0.3, finding_at: float = 0.6) -> str:
    """Massey & Denton's reading of a dissimilarity index, with the rule set's cut points."""
    if not _is_number(value):
        return NA
    if value >= finding_at:
        return "high"
    if value >= warning_at:
        return "moderate"
    return "low"
