"""How the resource rules and the plausibility checks compare a value with a limit, and print
money and shares in their messages."""
from __future__ import annotations

# Relative guard against float error at "at most" / "at least" boundaries.
EPS = 1e-9


def above(value: float, limit: float) -> bool:
    """True when ``value`` is above ``limit`` by more than float error ("at most" fails)."""
    return value > limit + EPS * max(1.0, abs(limit))


def below(value: float, limit: float) -> bool:
    """True when ``value`` is below ``limit`` by more than float error ("at least" fails)."""
    return value < limit - EPS * max(1.0, abs(limit))


def money(x: float) -> str:
    return f"${x:,.2f}"


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"
