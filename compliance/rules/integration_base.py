"""What every integration rule shares: the float tolerance, the rule version, how shares,
points and areas read, and the areas (district, then each band) of a measures block."""
from __future__ import annotations

from typing import Any

from .model import BANDS

# Every comparison allows EPS of float error, so a hand-worked case sitting exactly on a
# threshold (0.55 - 0.40 is 0.15000000000000002 in binary) behaves as written.
EPS = 1e-12
RULE_VERSION = "1"


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def pts(x: float) -> str:
    return f"{x * 100:.1f} points"


def area_label(band: str | None) -> str:
    return "the district" if band is None else f"the district's {band} schools"


BAND_NAMES: list[str | None] = [*BANDS, None]  # by band index; NO_BAND (-1) picks None
AREA_LABELS: list[str] = [area_label(b) for b in BAND_NAMES]


def areas(measures: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    return [(None, measures["district"])] + [(b, measures["bands"][b]) for b in BANDS]
