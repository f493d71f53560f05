"""INT-04 (evenness of the district and of each band) and INT-06 (socioeconomic lotteries)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .integration_base import EPS, RULE_VERSION, area_label, areas, pct, pts
from .labels import DISSIMILARITY
from .model import LotteryRow, RuleFinding


def _only_band(measures: dict[str, Any]) -> str | None:
    """The band holding every school of the district, when there is just one: its D is the district's."""
    held = [b for b, area in areas(measures) if b is not None and area.get("schools")]
    if len(held) == 1 and measures["bands"][held[0]].get("schools") == measures["district"].get("schools"):
        return held[0]
    return None


def evenness_findings(measures: dict[str, Any], p04: dict) -> list[RuleFinding]:
    if not p04["enabled"]:
        return []
    findings: list[RuleFinding] = []
    only_band = _only_band(measures)
    for band, area in areas(measures):
        if band is not None and band == only_band:
            continue  # the district's finding says it already: one finding, not two
        for index, value in area["dissimilarity"].items():
            if value is None:
                continue
            if value >= p04["finding_at"] - EPS:
                severity, level, threshold = "finding", "high", p04["finding_at"]
            elif value >= p04["warning_at"] - EPS:
                severity, level, threshold = "warning", "moderate", p04["warning_at"]
            else:
                continue
            findings.append(RuleFinding(
                rule="INT-04", severity=severity, scope="district" if band is None else "band", band=band,
                rule_version=RULE_VERSION,
                message=(
                    f"{DISSIMILARITY[index].noun} in {area_label(band)} is {value:.3f}, at or above "
                    f"{threshold:g}: {level} segregation."
                ),
                evidence={
                    "index": index, "value": value, "level": level, "threshold": threshold,
                    "warning_at": p04["warning_at"], "finding_at": p04["finding_at"],
                    "schools": area["schools"],
                },
            ))
    return findings



# ---------------------------------------------------------------------------
# INT-06: socioeconomic two-pool lotteries.


def lottery_findings(
    lottery: Sequence[LotteryRow], p06: dict, bands: dict[str, str], names: dict[str, str]
) -> list[RuleFinding]:
    """The checks of each lottery row: the admitted ED share, empty seats, short pools; several may fire."""
    if not p06["enabled"]:
        return []
    findings: list[RuleFinding] = []
    for lot in lottery:
        label = f"{names.get(lot.school_id, lot.school_id)} ({lot.school_id})"
        base = {
            "seats": lot.seats, "applicants_ed": lot.applicants_ed, "applicants_non_ed": lot.applicants_non_ed,
            "admitted_ed": lot.admitted_ed, "admitted_non_ed": lot.admitted_non_ed,
            "target_ed_share": lot.target_ed_share,
        }
        found = [_off_target(lot, label, p06["tolerance"]), _empty_seats(lot, label, p06["tolerance"]),
                 *_short_pools(lot, label)]
        for message, evidence in (f for f in found if f is not None):
            findings.append(RuleFinding(
                rule="INT-06", severity=p06["severity"], scope="lottery", school_id=lot.school_id,
                band=bands.get(lot.school_id), rule_version=RULE_VERSION, message=message,
                evidence={**base, **evidence},
            ))
    return findings


def _off_target(lot: LotteryRow, label: str, tol: float) -> tuple[str, dict[str, Any]] | None:
    """The admitted ED share off the target by more than the tolerance, though both pools could fill it."""
    target = lot.target_ed_share
    admitted = lot.admitted_ed + lot.admitted_non_ed
    # The target binds only when both pools could fill their share of the seats.
    both_pools_enough = (
        lot.applicants_ed >= target * lot.seats - EPS
        and lot.applicants_non_ed >= (1.0 - target) * lot.seats - EPS
    )
    if not both_pools_enough or admitted <= 0:
        return None
    share = lot.admitted_ed / admitted
    if abs(share - target) <= tol + EPS:
        return None
    message = (
        f"The lottery at {label} admitted {pct(share)} economically disadvantaged students "
        f"({lot.admitted_ed} of {admitted}) against a target of {pct(target)}, off by "
        f"{pts(abs(share - target))}, more than the allowed ±{pts(tol)}, although both "
        f"pools had enough applicants."
    )
    return message, {"check": "ed_share", "admitted_ed_share": share, "difference": share - target, "tolerance": tol}


def _empty_seats(lot: LotteryRow, label: str, tol: float) -> tuple[str, dict[str, Any]] | None:
    """Seats left empty while applicants of either pool were not admitted."""
    empty = lot.seats - lot.admitted_ed - lot.admitted_non_ed
    waiting_ed = lot.applicants_ed - lot.admitted_ed
    waiting_non_ed = lot.applicants_non_ed - lot.admitted_non_ed
    if empty <= 0 or (waiting_ed <= 0 and waiting_non_ed <= 0):
        return None
    message = (
        f"The lottery at {label} left {empty} of {lot.seats} seats empty while "
        f"{waiting_ed} economically disadvantaged and {waiting_non_ed} other applicants "
        f"were not admitted."
    )
    return message, {"check": "empty_seats", "empty_seats": empty, "unadmitted_ed": waiting_ed,
                     "unadmitted_non_ed": waiting_non_ed, "max_empty_seats": 0}


def _short_pools(lot: LotteryRow, label: str) -> list[tuple[str, dict[str, Any]]]:
    """A pool with fewer applicants than its reserved seats that did not admit every applicant.

    rules.md: a pool's reserved seats are target x seats (ED) and the rest (non-ED); a pool
    short of them must admit all of its applicants, whatever the other pool did with the rest.
    """
    pools = (
        ("ed", "economically disadvantaged", lot.target_ed_share * lot.seats, lot.applicants_ed, lot.admitted_ed),
        ("non_ed", "other", (1.0 - lot.target_ed_share) * lot.seats, lot.applicants_non_ed, lot.admitted_non_ed),
    )
    out: list[tuple[str, dict[str, Any]]] = []
    for pool, noun, reserved, applicants, admitted in pools:
        if applicants >= reserved - EPS or admitted >= applicants:
            continue
        waiting = applicants - admitted
        message = (
            f"The lottery at {label} reserved {reserved:g} seats for {noun} applicants but had only "
            f"{applicants} of them, and did not admit {waiting}; a pool with fewer applicants than "
            f"its reserved seats must admit every one of them."
        )
        out.append((message, {"check": f"short_pool_{pool}", "reserved_seats": round(reserved, 6),
                              f"unadmitted_{pool}": waiting}))
    return out
