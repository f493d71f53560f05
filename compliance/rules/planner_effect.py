"""A plan's effect: measures, flagged schools, the INT-05 verdict and INT-06, by the evaluation's own functions.

Nothing is computed twice: the plan becomes Proposed rows (planner.py), and the measures and
rules are those of integration.py's evaluation (measures.table_areas, school_rules.school_checks,
proposal.proposed_table / flag_counts / proposal_findings, district_rules.lottery_findings).
The "what would it take" suggestion turns the remedy program's pairwise flows into moves, checked here.
No Django here.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from .district_rules import lottery_findings
from .integration_base import BAND_NAMES
from .measures import SchoolLike, SchoolTable, school_table, table_areas
from .model import BANDS, RACE_GROUPS, LotteryRow, ProposedRow, RuleFinding, SchoolRow
from .planner import Lever, MoveStudents, PlanState, apply_levers, lottery_admissions, split
from .proposal import flag_counts, proposal_findings, proposed_table
from .remedies_integration import integration_remedy
from .ruleset import section
from .school_rules import school_checks


@dataclass
class Baseline:
    """The current assignment's table, checks, measures and flags: computed once per district, reused per plan."""

    schools: list[SchoolRow]
    table: SchoolTable
    flags: np.ndarray
    areas: dict[str, Any]
    params: dict | None

    @classmethod
    def of(cls, schools: Sequence[SchoolRow], params: dict | None = None) -> Baseline:
        table = school_table(cast("Sequence[SchoolLike]", schools))
        p01, p02, p03 = section(params, "INT-01"), section(params, "INT-02"), section(params, "INT-03")
        flags = school_checks(table, p01, p02, p03).flagged(p01, p02, p03)
        return cls(list(schools), table, flags, table_areas(table), params)


@dataclass
class PlanEffect:
    """What the page shows and the PDF prints; ``int05`` are exactly the findings an upload would get."""

    proposed: list[ProposedRow]
    current: dict[str, Any]
    after: dict[str, Any]
    flagged_before: dict[str | None, list[str]]
    flagged_after: dict[str | None, list[str]]
    int05: list[RuleFinding]
    lotteries: list[LotteryRow] = field(default_factory=list)
    int06: list[RuleFinding] = field(default_factory=list)
    changes: dict[str, str] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """finding: INT-05 would find against the change; commendation: it only advances integration;
        neutral: no measure moves beyond the tolerance; none: the plan changes no school."""
        if not self.proposed:
            return "none"
        if any(f.severity != "info" for f in self.int05):
            return "finding"
        return "commendation" if self.int05 else "neutral"


def _flagged_ids(table: SchoolTable, flags: np.ndarray) -> dict[str | None, list[str]]:
    out: dict[str | None, list[str]] = {b: [] for b in (None, *BANDS)}
    for i in np.flatnonzero(flags).tolist():
        out[None].append(table.school_ids[i])
        band = BAND_NAMES[int(table.band[i])]
        if band is not None:
            out[band].append(table.school_ids[i])
    return out


def plan_effect(base: Baseline, levers: Sequence[Lever]) -> PlanEffect:
    """The plan's effect on ``base`` (PlanError if a lever cannot apply)."""
    params = base.params
    p01, p02, p03 = section(params, "INT-01"), section(params, "INT-02"), section(params, "INT-03")
    state = apply_levers(base.schools, levers)
    rows = state.proposed_rows()
    new_table, change_list = proposed_table(base.table, base.schools, rows)
    new_flags = school_checks(new_table, p01, p02, p03).flagged(p01, p02, p03)
    after = table_areas(new_table)
    int05 = proposal_findings(base.areas, after, flag_counts(base.table, base.flags),
                              flag_counts(new_table, new_flags), section(params, "INT-05")) if rows else []
    lotteries = [lottery_admissions(lot) for lot in state.lotteries.values()]
    bands: dict[str, str] = {}
    for sid, b in zip(new_table.school_ids, new_table.band.tolist()):
        name = BAND_NAMES[int(b)]
        if name is not None:  # a new school without grades has no band
            bands[sid] = name
    names = {w.school_id: w.school_name for w in state.schools.values()}
    int06 = lottery_findings(lotteries, section(params, "INT-06"), bands, names)
    changes = {sid: c for sid, c in zip(new_table.school_ids, change_list) if c != "unchanged"}
    return PlanEffect(rows, base.areas, after, _flagged_ids(base.table, base.flags),
                      _flagged_ids(new_table, new_flags), int05, lotteries, int06, changes)


# Rounds of "solve, round to whole students, check", each one LP and one effect, so bounded.
_ROUNDS = 12


def suggested_moves(
    schools: Sequence[SchoolRow], band: str, params: dict | None = None
) -> tuple[list[MoveStudents], dict]:
    """"What would it take" for one band: the remedy program's pairwise flows as MoveStudents levers.

    The program is the one the recommendations quote (INT-01's and INT-03's bands, single race
    groups above INT-01's minimum share). Its flows are rounded to whole students per pair of
    schools and the plan is checked with :func:`plan_effect`. While a band school is still
    flagged, the program runs again aimed a little inside the bands (``margin``), two ways:
    only the schools still flagged, half a student of their own at a time, and (if that leaves
    a school flagged or costs more than one student per school over the optimum) every school,
    a quarter-student of the smallest at a time. Returns the plan that clears the band with the
    fewest students moved (else the one leaving fewest flagged) and the report's own plan (the
    program in whole students), whose total the report quotes.
    """
    p01, p03 = section(params, "INT-01"), section(params, "INT-03")
    members = {s.school_id: s for s in schools if s.band == band}

    def solve(margin: dict[str, float]) -> dict:
        return integration_remedy(list(members.values()), band=p01["band"], ed_band=p03["band"],
                                  single_group_min_share=p01["single_group_min_band_share"], margin=margin)

    # The report's plan (in whole students, aimed inside where rounding would leave a school out).
    first = integration_remedy(list(members.values()), band=p01["band"], ed_band=p03["band"],
                               single_group_min_share=p01["single_group_min_band_share"])
    if not first.get("reachable"):
        return [], first
    base = Baseline.of(schools, params)
    smallest = min((s.enrollment_total for s in members.values() if s.enrollment_total > 0), default=1)
    flagged_only = _search(base, band, schools, solve, lambda sid: 0.5 / max(1, members[sid].enrollment_total),
                           lambda left: left)
    moved = sum(m.total or 0 for m in flagged_only[1])
    if flagged_only[0] == 0 and moved <= first["students_moved"] + len(members):
        return flagged_only[1], first  # clear, and at most one student per school over the optimum
    everyone = _search(base, band, schools, solve, lambda sid: 0.25 / smallest, lambda left: list(members))
    best = min(flagged_only, everyone, key=lambda r: (r[0], sum(m.total or 0 for m in r[1])))
    return best[1], first


def suggestion_for_plan(
    schools: Sequence[SchoolRow], levers: Sequence[Lever], band: str, params: dict | None = None,
    *, replace: bool = False,
) -> tuple[list[Lever], list[MoveStudents], dict]:
    """"What would it take" on top of a plan: (the plan's levers afterwards, the suggested moves, the program).

    ``replace`` starts over from the district as it is; otherwise the program starts from the schools
    as ``levers`` leave them and its moves follow them, so the user's changes are kept and the band
    is judged after all of them. No moves (the band is clear, or the program infeasible) keeps ``levers``.
    """
    start = list(schools) if replace or not levers else apply_levers(schools, levers).school_rows()
    moves, remedy = suggested_moves(start, band, params)
    if not moves:
        return list(levers), [], remedy
    return ([] if replace else list(levers)) + list(moves), moves, remedy


def _search(base: Baseline, band: str, schools: Sequence[SchoolRow], solve: Callable[[dict[str, float]], dict],
            step: Callable[[str], float],
            widen: Callable[[list[str]], Iterable[str]]) -> tuple[int, list[MoveStudents]]:
    """Solve, round, check, and aim the schools ``widen`` names ``step(id)`` further inside, up to
    ``_ROUNDS`` times: (schools left flagged, the best plan)."""
    margin: dict[str, float] = {}
    best: tuple[int, list[MoveStudents]] | None = None
    for _ in range(_ROUNDS):
        remedy = solve(margin)
        if not remedy.get("reachable"):
            break  # narrower still cannot be reachable either
        moves = _rounded_moves(schools, remedy["flows"])
        left = plan_effect(base, moves).flagged_after[band]
        if best is None or len(left) < best[0]:
            best = (len(left), moves)
        if not left:
            break
        for sid in widen(left):
            margin[sid] = margin.get(sid, 0.0) + step(sid)
    return best or (int(base.flags.sum()), [])


def _rounded_moves(schools: Sequence[SchoolRow], flows: list[dict]) -> list[MoveStudents]:
    """The flows summed per pair of schools, in whole students: each pair's total rounded, split
    over its race groups by largest remainders, and capped at what the sending school has left."""
    by_pair: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for f in flows:
        cell = by_pair[(f["from"], f["to"])]
        cell[f["group"]] += f["students"]
        cell["_ed"] += f["students"] if f["ed"] else 0.0
    moves = []
    state = PlanState(schools)
    for (src_id, dst_id), cell in by_pair.items():
        src = state.school(src_id)
        weights = {g: cell[g] for g in RACE_GROUPS if cell[g] > 0}
        wanted = split(round(sum(weights.values())), weights)
        composition = {g: min(n, src.counts[g]) for g, n in wanted.items() if min(n, src.counts[g]) > 0}
        total = sum(composition.values())
        if not total:
            continue
        # ED: as the program says, within what the school has of each ED status.
        ed = min(src.ed, max(total - (src.total - src.ed), min(total, round(cell["_ed"]))))
        move = MoveStudents(src_id, dst_id, total, ed=ed, composition=composition)
        state.move(move)
        moves.append(move)
    return moves
