"""How the resource rules and the plausibility checks compare a value with a limit, print money
and shares in their messages, and version their findings."""
from __future__ import annotations

RULE_VERSION = "1"  # stamped on every resource finding (RES-01..RES-05)

# Relative guard against float error at "at most" / "at least" boundaries.
EPS = 1e-9


def slack(limit: float) -> float:
    """The float error allowed around ``limit``; array comparisons use it as ``above``/``below`` do."""
    return EPS * max(1.0, abs(limit))


def above(value: float, limit: float) -> bool:
    """True when ``value`` is above ``limit`` by more than float error ("at most" fails)."""
    return value > limit + slack(limit)


def below(value: float, limit: float) -> bool:
    """True when ``value`` is below ``limit`` by more than float error ("at least" fails)."""
    return value < limit - slack(limit)


def money(x: float) -> str:
    return f"${x:,.2f}"


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"
