"""The sentences that put a remedy estimate's numbers into a recommendation's words.

One function per kind of estimate (:mod:`.recommendation_engine` picks the kind): each takes
the estimate and the school names and returns "Estimate: ..." or "". Integration estimates
speak of enrollment changes between schools and each school's resulting composition, never of
moving students of one race (docs/recommendations.md).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Names = Mapping[str, str]


def _money(x: float) -> str:
    return f"${x:,.0f}"


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _exchanges(pairs: list[dict[str, Any]], names: Names, limit: int = 3) -> str:
    """The largest enrollment changes, a pair of schools once whichever way students go."""
    between: dict[tuple[str, str], dict[str, int]] = {}
    for p in pairs:
        a, b = sorted((p["from"], p["to"]))
        sent = between.setdefault((a, b), {})
        sent[p["from"]] = sent.get(p["from"], 0) + p["students"]
    ranked = sorted(between.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:limit]
    parts = []
    for (a, b), sent in ranked:
        na, nb = names.get(a, a), names.get(b, b)
        if len(sent) == 1:
            src = next(iter(sent))
            dst = nb if src == a else na
            parts.append(f"{sent[src]:,} students from {names.get(src, src)} to {dst}")
        elif sent[a] == sent[b]:
            parts.append(f"{sent[a] + sent[b]:,} students between {na} and {nb} ({sent[a]:,} students each way)")
        else:
            # "students" after each number: the reports' suppression finds counts by that word.
            parts.append(f"{sent[a] + sent[b]:,} students between {na} and {nb} "
                         f"({sent[a]:,} students to {nb}, {sent[b]:,} students to {na})")
    return "; ".join(parts)


def reassignment_sentence(est: dict[str, Any], names: Names) -> str:
    """INT-01/INT-03: the band's reassignments and its largest enrollment changes between schools."""
    if not est.get("reachable"):
        return f"Estimate: {est.get('reason', 'not reachable within the band')}."
    if est["students_moved"] == 0:
        return "Estimate: no reassignment is needed to bring the band's schools within the bands."
    left = est.get("schools_outside_after_rounding") or len(est.get("outside_after_rounding") or [])
    reach = ("every school of the band" if not left else
             f"every school of the band but {left} (rounded to whole students, {left} "
             f"{'school stays' if left == 1 else 'schools stay'} just outside)")
    text = (f"Estimate: about {est['students_moved']:,} student reassignments "
            f"({est['share_of_band'] * 100:.1f}% of the band's {est['band_enrollment']:,} students) "
            f"would bring {reach} within the bands")
    changes = _exchanges(est.get("largest_changes") or [], names)
    # The band's sentence only: the same for every finding of the band, so it is said once;
    # each school's composition after the plan travels in the estimate ("school_after").
    return text + (f"; the largest enrollment changes: {changes}." if changes else ".")


def grade_center_sentence(est: dict[str, Any], names: Names) -> str:
    """The grade centers: which schools would serve which grades, the mix, who changes building."""
    if not est.get("reachable"):
        return f"Estimate: grade centers do not fit this band as it is: {est.get('reason', '')}."
    centers = est["centers"]
    moving = (f"about {est['students_changing_school']:,} students ({_pct(est['share_of_band'])} of the band's "
              f"{est['band_enrollment']:,}) would attend another building")
    if est["clusters"] == 1:
        spans = ", ".join(f"{names.get(c['school_id'], c['school_id'])} {_span(c)}" for c in centers)
        first = centers[0]
        return (f"Estimate: as grade centers ({spans}), every school would have the band's mix, about "
                f"{_pct(first['students_of_color_share'])} students of color and {_pct(first['ed_share'])} "
                f"economically disadvantaged; {moving}.")
    by_cluster: dict[int, list[str]] = {}
    for c in centers:
        by_cluster.setdefault(c["cluster"], []).append(f"{names.get(c['school_id'], c['school_id'])} {_span(c)}")
    shown = [", ".join(v[:-1]) + f" and {v[-1]}" for v in list(by_cluster.values())[:_CLUSTERS_NAMED]]
    more = len(by_cluster) - len(shown)
    groups = "; ".join(shown) + (f"; and {more} more" if more else "")
    shares = [c["students_of_color_share"] for c in centers if c["students_of_color_share"] is not None]
    return (f"Estimate: as {est['clusters']} clusters of grade centers ({groups}), each school would have its "
            f"cluster's mix, from {_pct(min(shares))} to {_pct(max(shares))} students of color; {moving}.")


_CLUSTERS_NAMED = 3  # clusters named in the sentence; the estimate lists every center


def _span(center: dict[str, Any]) -> str:
    lo, hi = center["grade_low"], center["grade_high"]
    return f"({lo})" if lo == hi else f"({lo}-{hi})"


def _more(n: int) -> str:
    return f"{n:,} more" if n >= 0 else f"{-n:,} fewer"


def lottery_sentence(est: dict[str, Any], names: Names) -> str:
    """INT-06: the seats each pool would get, and the applicants a short pool would need."""
    parts = []
    if est["more_seats_ed"] or est["more_seats_non_ed"]:
        parts.append(
            f"admitting as the two pools require would give economically disadvantaged applicants "
            f"{est['expected_admitted_ed']:,} of the {est['seats']:,} seats ({_more(est['more_seats_ed'])} than "
            f"admitted) and the other applicants {est['expected_admitted_non_ed']:,} "
            f"({_more(est['more_seats_non_ed'])})")
    for pool, noun in (("ed", "economically disadvantaged"), ("non_ed", "other")):
        needed = est[f"applicants_needed_{pool}"]
        if needed:
            parts.append(f"{needed:,} more {noun} applicants would fill that pool's "
                         f"{est[f'reserved_seats_{pool}']:,} reserved seats")
    return f"Estimate: {'; '.join(parts)}." if parts else ""


def _comparability_sentence(add: float | None, move: float | None, amount: Callable[[float], str], more: str,
                            target: Callable[[], str], moved_unit: str) -> str:
    """RES-01/RES-02: what adding to the school, or moving from the comparison schools, takes."""
    if add is None:
        return ""
    text = f"Estimate: {amount(add)} more state/local {more} at this school would bring it to {target()}"
    return text + (f" (or {amount(move)}{moved_unit} moved from the comparison schools)." if move is not None else ".")


def staff_sentence(est: dict[str, Any], names: Names) -> str:
    return _comparability_sentence(
        est.get("fte_to_add"), est.get("fte_to_move_from_comparison"), lambda x: f"{x:.1f}", "teacher FTE",
        lambda: f"{est['target_ratio']:.2f} students per teacher", " FTE")


def spending_sentence(est: dict[str, Any], names: Names) -> str:
    return _comparability_sentence(
        est.get("dollars_to_add"), est.get("dollars_to_move_from_comparison"), _money, "spending",
        lambda: f"{_money(est['target_ppe'])} per pupil", "")


def progressivity_sentence(est: dict[str, Any], names: Names) -> str:
    if est["dollars_to_move"] <= 0:
        return ""
    return (f"Estimate: moving {_money(est['dollars_to_move'])} of state/local spending from the "
            f"lowest-poverty to the highest-poverty quartile would bring the ratio to "
            f"{est['min_ratio']:.2f} (or adding {_money(est['dollars_to_add_to_high'])} to the "
            f"highest-poverty quartile).")


def teacher_sentence(est: dict[str, Any], names: Names) -> str:
    parts = []
    for key, label in (("poverty", "poverty"), ("students_of_color", "students-of-color")):
        item = est.get(key)
        if item:
            parts.append(f"swapping {item['fte_to_swap']:.1f} inexperienced teacher FTE for experienced "
                         f"ones between the highest- and lowest-{label} quartiles (or replacing "
                         f"{item['fte_to_replace_in_high']:.1f} inexperienced FTE in the highest quartile "
                         f"with experienced teachers)")
    if not parts:
        return ""
    return f"Estimate: {' and '.join(parts)} would bring the gap to {est['max_gap'] * 100:g} points."


# One sentence with the estimate's numbers, appended to the entry's body, by kind of estimate.
SENTENCES: dict[str, Callable[[dict[str, Any], Names], str]] = {
    "reassignment": reassignment_sentence,
    "grade_centers": grade_center_sentence,
    "lottery": lottery_sentence,
    "RES-01": staff_sentence,
    "RES-02": spending_sentence,
    "RES-03": progressivity_sentence,
    "RES-04": teacher_sentence,
}
