"""How a plan's effect reads on the page and in the PDF: before/after rows, flags, the verdict."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compliance.reports.suppression import ED, NOT_ED, TOTAL, mask_counts, suppress_count
from compliance.rules.labels import group_noun
from compliance.rules.model import BANDS, RACE_GROUPS
from compliance.rules.planner import Lever, lever_to_json
from compliance.rules.planner_effect import PlanEffect

VERDICTS = {
    "finding": ("INT-05 finding",
                "As proposed, this change would be a finding: it raises segregation beyond the tolerance."),
    "commendation": ("Commendation", "As proposed, this change advances integration: INT-05 would commend it."),
    "neutral": ("No INT-05 effect", "No measure INT-05 compares moves beyond its tolerance."),
    "none": ("No change yet", "Add a change below to see its effect."),
}

# The measures shown per area: (label, path into the area's measures).
MEASURES = (
    ("Dissimilarity, all race groups", ("dissimilarity", "multigroup")),
    ("Dissimilarity, ED vs. not ED", ("dissimilarity", "ed_not_ed")),
    ("Exposure of students of color to white students", ("exposure", "students_of_color_white")),
    ("Isolation of ED students", ("isolation", "ed")),
)


def get_measure(area: dict[str, Any], path: tuple[str, str]) -> float | None:
    return (area.get(path[0]) or {}).get(path[1])


def fmt_measure(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def area_rows(effect: PlanEffect) -> list[dict[str, Any]]:
    areas: list[tuple[str, Any, Any, str | None]] = [
        ("District", effect.current["district"], effect.after["district"], None)]
    areas += [(b.title(), effect.current["bands"][b], effect.after["bands"][b], b) for b in BANDS]
    out = []
    for label, before, after, band in areas:
        flagged_before, flagged_after = effect.flagged_before[band], effect.flagged_after[band]
        out.append({
            "label": label,
            "measures": [(name, fmt_measure(get_measure(before, p)), fmt_measure(get_measure(after, p)))
                         for name, p in MEASURES],
            "flagged_before": len(flagged_before), "flagged_after": len(flagged_after),
            "cleared": sorted(set(flagged_before) - set(flagged_after)),
            "new": sorted(set(flagged_after) - set(flagged_before)),
        })
    return out


def _shown(shown: str, noun: str) -> str:
    """'1 Hispanic student', '12 students of two or more races', '<10 white students' (hidden)."""
    return f"{shown} {noun.replace('students', 'student', 1) if shown == '1' else noun}"


def _move_cells(d: dict[str, Any]) -> dict[str, int]:
    """The numbers a move's line prints, as cells of the report's suppression relations: the race
    groups add up to the students moved, ED and not ED too (not ED is never printed, but the
    number moved less the ED gives it)."""
    whole = d["total"] if d["total"] is not None else d["ed"]
    cells = {TOTAL: whole}
    if d.get("composition"):
        cells.update({g: d["composition"].get(g, 0) for g in RACE_GROUPS})
    if d["total"] is not None and d["ed"] is not None:
        cells.update({ED: d["ed"], NOT_ED: d["total"] - d["ed"]})
    return cells


def _move_text(d: dict[str, Any], min_cell: int | None) -> str:
    """'56 students (55 economically disadvantaged): 1 Hispanic student, 55 Black students'; with
    ``min_cell``, through the report's primary, top-coding and complementary suppression."""
    cells = _move_cells(d)
    count: Callable[[str], str] = (lambda c: str(cells[c])) if min_cell is None else mask_counts(cells, min_cell).count
    noun = "students" if d["total"] is not None else "economically disadvantaged students"
    what = _shown(count(TOTAL), noun)
    if ED in cells:
        what += f" ({count(ED)} economically disadvantaged)"
    if d.get("composition"):
        # In the template's order of race groups: a stored plan's JSON keeps no order on PostgreSQL (jsonb).
        what += ": " + ", ".join(_shown(count(g), group_noun(g)) for g in RACE_GROUPS if d["composition"].get(g))
    return what


def lever_text(lever: Lever, names: dict[str, str], min_cell: int | None = None) -> str:
    """One line in words for each lever: exact on the plan's page, small counts hidden with
    ``min_cell`` (the PDF)."""
    d = lever_to_json(lever)
    n = names.get
    kind = d["kind"]
    count: Callable[[int], str] = str if min_cell is None else (lambda v: suppress_count(v, min_cell))
    if kind == "move":
        return f"Move {_move_text(d, min_cell)} from {n(d['from_id'], d['from_id'])} to {n(d['to_id'], d['to_id'])}"
    if kind == "close":
        to = ", ".join(n(r, r) for r in d["receiving"]) or "no other school"
        return f"Close {n(d['school_id'], d['school_id'])}; its students go to {to}"
    if kind == "open":
        return f"Open {d['school_name']} ({d['school_id']}), grades {d['grade_low']}-{d['grade_high']}"
    if kind == "grade_center":
        parts = [f"{n(s, s)} grades {lo}-{hi}" for s, (lo, hi) in zip(d["school_ids"], d["spans"])]
        return "Grade centers: " + "; ".join(parts)
    return (f"Lottery at {n(d['school_id'], d['school_id'])}: {count(d['seats'])} seats, target ED share "
            f"{d['target_ed_share']:.0%}, {count(d['applicants_ed'])} ED and {count(d['applicants_non_ed'])} "
            "other applicants")


def changed_schools(effect: PlanEffect, names: dict[str, str]) -> list[dict[str, Any]]:
    return [{
        "school_id": r.school_id, "name": r.school_name or names.get(r.school_id, r.school_id),
        "change": effect.changes.get(r.school_id, "changed"), "enrollment": r.enrollment_total,
        "groups": [getattr(r, g) for g in RACE_GROUPS], "ed": r.econ_disadvantaged,
        "grades": f"{r.grade_low}-{r.grade_high}" if r.grade_low else "",
    } for r in effect.proposed]


def announcement(done: str, effect: PlanEffect | None) -> str:
    """What the page's live region reads out after a change: what was done, the verdict, the district's flags."""
    if effect is None:
        return done
    now, after = len(effect.flagged_before[None]), len(effect.flagged_after[None])
    return (f"{done} INT-05 verdict: {VERDICTS[effect.verdict][0]}. Schools flagged by INT-01/02/03 in the "
            f"district: {now} now, {after} after the plan.")


def effect_context(effect: PlanEffect | None, levers: list[Lever], names: dict[str, str],
                   remove_urls: list[str] | None = None) -> dict[str, Any]:
    urls = remove_urls or [""] * len(levers)
    listed = [(i + 1, lever_text(lv, names), url) for i, (lv, url) in enumerate(zip(levers, urls))]
    if effect is None:
        return {"levers": listed}
    title, text = VERDICTS[effect.verdict]
    return {
        "levers": listed,
        "verdict": effect.verdict, "verdict_title": title, "verdict_text": text,
        "int05": effect.int05, "int06": effect.int06,
        "lotteries": [{"name": names.get(lot.school_id, lot.school_id), "lot": lot} for lot in effect.lotteries],
        "areas": area_rows(effect), "changed": changed_schools(effect, names),
        "group_headers": [group_noun(g) for g in RACE_GROUPS],
    }
