"""What-if levers (move, close, open, grade center, lottery) and how a plan becomes Proposed rows.

A plan is an ordered list of levers applied to the district's current Schools rows. The result
is exactly what the workbook's Proposed sheet says (docs/workbook.md): one row per school the
plan changes, opens or closes, with its whole counts after the change. proposal.py then reads
those rows as INT-05 does, so the planner and an upload of the exported sheet cannot disagree.
No Django here.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .model import GRADE_INDEX, GRADES, RACE_GROUPS, LotteryRow, ProposedRow, SchoolRow


class PlanError(ValueError):
    """A lever that cannot be applied (unknown school, more students than it has); the message is for users."""


@dataclass(frozen=True)
class MoveStudents:
    """A zone change: ``total`` students from one school to another. ``ed`` of them economically
    disadvantaged and ``composition`` ({race group: count}) follow the sending school's mix unless given;
    ``total`` None moves ``ed`` ED students only."""

    from_id: str
    to_id: str
    total: int | None = None
    ed: int | None = None
    composition: Mapping[str, int] | None = None
    kind: str = field(default="move", init=False)


@dataclass(frozen=True)
class CloseSchool:
    """Close a school; its students go to ``receiving`` schools in equal numbers, each with the closed school's mix."""

    school_id: str
    receiving: tuple[str, ...] = ()
    kind: str = field(default="close", init=False)


@dataclass(frozen=True)
class OpenSchool:
    """Open a new, empty school; MoveStudents levers fill it."""

    school_id: str
    school_name: str
    grade_low: str
    grade_high: str
    assignment_method: str = "attendance_zone"
    title_i: bool = False
    kind: str = field(default="open", init=False)


@dataclass(frozen=True)
class GradeCenter:
    """The Clinton model: the schools pool their students and each serves one grade span.

    ``spans[i]`` is (grade_low, grade_high) of ``school_ids[i]``; the spans must not overlap and must
    cover the grades the schools serve now. Each grade is assumed to hold an equal share of a
    school's students (the workbook has no counts by grade); every center gets the pooled mix.
    """

    school_ids: tuple[str, ...]
    spans: tuple[tuple[str, str], ...]
    kind: str = field(default="grade_center", init=False)


@dataclass(frozen=True)
class Lottery:
    """A two-pool socioeconomic lottery at a school, judged by INT-06 with the admissions the rule expects."""

    school_id: str
    seats: int
    target_ed_share: float
    applicants_ed: int
    applicants_non_ed: int
    kind: str = field(default="lottery", init=False)


Lever = MoveStudents | CloseSchool | OpenSchool | GradeCenter | Lottery
_KINDS: dict[str, type] = {"move": MoveStudents, "close": CloseSchool, "open": OpenSchool,
                           "grade_center": GradeCenter, "lottery": Lottery}


def lever_to_json(lever: Lever) -> dict[str, Any]:
    data = asdict(lever)
    if isinstance(lever, MoveStudents) and lever.composition is not None:
        data["composition"] = dict(lever.composition)
    return data


def lever_from_json(data: Mapping[str, Any]) -> Lever:
    """The lever a saved plan's JSON describes (PlanError if it is not one)."""
    values = dict(data)
    cls = _KINDS.get(str(values.pop("kind", "")))
    if cls is None:
        raise PlanError("Unknown kind of change.")
    if cls is CloseSchool:
        values["receiving"] = tuple(values.get("receiving") or ())
    if cls is GradeCenter:
        values["school_ids"] = tuple(values["school_ids"])
        values["spans"] = tuple(tuple(s) for s in values["spans"])
    try:
        return cls(**values)
    except TypeError as exc:
        raise PlanError(f"A saved change is incomplete: {exc}") from exc


# ---------------------------------------------------------------------------------------------


@dataclass
class _School:
    """A school's working state while levers apply: counts by race group, ED, grades, name, method."""

    school_id: str
    school_name: str
    grade_low: str
    grade_high: str
    title_i: bool
    assignment_method: str
    counts: dict[str, int]
    ed: int
    opened: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def numbers(self) -> tuple:
        return (self.grade_low, self.grade_high, self.assignment_method, self.ed, tuple(self.counts.values()))


def split(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Whole counts summing to ``total`` in proportion to ``weights`` (largest remainders, ties by key order)."""
    norm = float(sum(weights.values()))
    if total <= 0 or norm <= 0:
        return {k: 0 for k in weights}
    raw = {k: total * w / norm for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    order = sorted(weights, key=lambda k: out[k] - raw[k])  # largest remainder first; sort is stable
    for k in order[: total - sum(out.values())]:
        out[k] += 1
    return out


class PlanState:
    """The district's schools while a plan's levers apply, in Schools order then opened schools."""

    def __init__(self, schools: Sequence[SchoolRow]):
        self.original: dict[str, tuple] = {}
        self.rows: dict[str, SchoolRow] = {s.school_id: s for s in schools}
        self.schools: dict[str, _School] = {}
        for s in schools:
            w = _School(s.school_id, s.school_name, s.grade_low, s.grade_high, s.title_i, s.assignment_method,
                        {g: getattr(s, g) for g in RACE_GROUPS}, s.econ_disadvantaged)
            self.schools[s.school_id] = w
            self.original[s.school_id] = w.numbers()
        self.lotteries: dict[str, Lottery] = {}

    def school(self, school_id: str) -> _School:
        found = self.schools.get(school_id)
        if found is None:
            raise PlanError(f"There is no school {school_id} in this district.")
        return found

    def move(self, lever: MoveStudents) -> None:
        src, dst = self.school(lever.from_id), self.school(lever.to_id)
        if src is dst:
            raise PlanError("A move needs two different schools.")
        total = lever.total if lever.total is not None else lever.ed
        if total is None or total < 0 or (lever.ed is not None and not 0 <= lever.ed <= total):
            raise PlanError("Say how many students move (and at most that many economically disadvantaged).")
        if total > src.total:
            raise PlanError(f"{src.school_name} has only {src.total} students; it cannot send {total}.")
        moved = dict(lever.composition) if lever.composition is not None else split(total, src.counts)
        if set(moved) - set(RACE_GROUPS) or sum(moved.values()) != total or min(moved.values(), default=0) < 0:
            raise PlanError("The students moved by group must add up to the number moved.")
        if any(moved.get(g, 0) > src.counts[g] for g in RACE_GROUPS):
            raise PlanError(f"{src.school_name} does not have that many students of some group to send.")
        ed = lever.ed if lever.ed is not None else (round(total * src.ed / src.total) if src.total else 0)
        if ed > src.ed or total - ed > src.total - src.ed:
            raise PlanError(f"{src.school_name} does not have that many students of that ED status to send.")
        for g in RACE_GROUPS:
            src.counts[g] -= moved.get(g, 0)
            dst.counts[g] += moved.get(g, 0)
        src.ed -= ed
        dst.ed += ed

    def close(self, lever: CloseSchool) -> None:
        src = self.school(lever.school_id)
        receiving = [self.school(r) for r in lever.receiving]
        if src in receiving:
            raise PlanError("A closed school cannot receive its own students.")
        for i, share in enumerate(split(src.total, {r.school_id: 1.0 for r in receiving}).values()):
            last = i == len(receiving) - 1  # the last takes what is left, so nobody is lost to rounding
            self.move(MoveStudents(src.school_id, receiving[i].school_id, src.total if last else share))
        if not receiving:
            src.counts = dict.fromkeys(RACE_GROUPS, 0)
            src.ed = 0

    def open(self, lever: OpenSchool) -> None:
        if lever.school_id in self.schools:
            raise PlanError(f"School id {lever.school_id} is taken.")
        _check_span(lever.grade_low, lever.grade_high)
        self.schools[lever.school_id] = _School(
            lever.school_id, lever.school_name, lever.grade_low, lever.grade_high, lever.title_i,
            lever.assignment_method, dict.fromkeys(RACE_GROUPS, 0), 0, opened=True)

    def grade_center(self, lever: GradeCenter) -> None:
        members = [self.school(sid) for sid in lever.school_ids]
        if len(members) < 2 or len(set(lever.school_ids)) != len(members) or len(lever.spans) != len(members):
            raise PlanError("A grade center needs two or more different schools, each with its grade span.")
        spans = [_check_span(lo, hi) for lo, hi in lever.spans]
        served = sorted({g for s in members for g in range(GRADE_INDEX[s.grade_low], GRADE_INDEX[s.grade_high] + 1)})
        centered = sorted(g for lo, hi in spans for g in range(lo, hi + 1))
        if centered != served:
            raise PlanError("The grade spans must not overlap and must cover the grades these schools serve: "
                            f"{GRADES[served[0]]}-{GRADES[served[-1]]}.")
        weights = {sid: sum(_in_span(m, lo, hi) for m in members) for sid, (lo, hi) in zip(lever.school_ids, spans)}
        pool = {g: sum(m.counts[g] for m in members) for g in RACE_GROUPS}
        pool_ed = sum(m.ed for m in members)
        sizes = split(sum(pool.values()), weights)
        for i, (m, (lo, hi)) in enumerate(zip(members, spans)):
            n = sizes[m.school_id]
            left = sum(pool.values())
            take = pool if i == len(members) - 1 else split(n, pool)
            ed = pool_ed if i == len(members) - 1 else (round(n * pool_ed / left) if left else 0)
            m.counts = dict(take)
            m.ed = ed
            pool = {g: pool[g] - take[g] for g in RACE_GROUPS}
            pool_ed -= ed
            m.grade_low, m.grade_high, m.assignment_method = GRADES[lo], GRADES[hi], "grade_center"

    def lottery(self, lever: Lottery) -> None:
        self.school(lever.school_id)
        if lever.seats <= 0 or min(lever.applicants_ed, lever.applicants_non_ed) < 0:
            raise PlanError("A lottery needs seats and applicant numbers of zero or more.")
        if not 0.0 <= lever.target_ed_share <= 1.0:
            raise PlanError("The target ED share is between 0 and 1.")
        self.lotteries[lever.school_id] = lever

    def proposed_rows(self) -> list[ProposedRow]:
        """The Proposed sheet of the plan: every school whose numbers changed, and every opened school."""
        rows = []
        for w in self.schools.values():
            before = self.original.get(w.school_id)
            if not w.opened and before == w.numbers():
                continue
            # Blank means unchanged on the Proposed sheet: fill only what the plan changed.
            regraded = w.opened or before[:2] != (w.grade_low, w.grade_high)  # type: ignore[index]
            new_method = w.opened or before[2] != w.assignment_method  # type: ignore[index]
            rows.append(ProposedRow(
                school_id=w.school_id, enrollment_total=w.total, econ_disadvantaged=w.ed, **w.counts,
                school_name=w.school_name if w.opened else None,
                grade_low=w.grade_low if regraded else None,
                grade_high=w.grade_high if regraded else None,
                title_i=w.title_i if w.opened else None,
                assignment_method=w.assignment_method if new_method else None,
            ))
        return rows


    def school_rows(self) -> list[SchoolRow]:
        """Every school as the plan leaves it, as Schools rows (a closed school with no students, an
        opened one with what moved in): what a suggestion made on top of the plan starts from."""
        out = []
        for w in self.schools.values():
            numbers: dict[str, Any] = {"grade_low": w.grade_low, "grade_high": w.grade_high,
                                       "assignment_method": w.assignment_method, "enrollment_total": w.total,
                                       "econ_disadvantaged": w.ed, **w.counts}
            row = self.rows.get(w.school_id)
            if row is None:
                out.append(SchoolRow(school_id=w.school_id, school_name=w.school_name, title_i=w.title_i, **numbers))
            else:
                out.append(replace(row, **numbers))
        return out


def _check_span(lo: str, hi: str) -> tuple[int, int]:
    if lo not in GRADE_INDEX or hi not in GRADE_INDEX or GRADE_INDEX[lo] > GRADE_INDEX[hi]:
        raise PlanError(f"{lo}-{hi} is not a grade span (grades are PK, K, 1..12, lowest first).")
    return GRADE_INDEX[lo], GRADE_INDEX[hi]


def _in_span(school: _School, lo: int, hi: int) -> float:
    """The students of ``school`` in grades lo..hi, with each of its grades holding an equal share."""
    a, b = GRADE_INDEX[school.grade_low], GRADE_INDEX[school.grade_high]
    overlap = max(0, min(b, hi) - max(a, lo) + 1)
    return school.total * overlap / (b - a + 1)


def apply_levers(schools: Sequence[SchoolRow], levers: Sequence[Lever]) -> PlanState:
    """The district after the levers, applied in order (PlanError names the first that cannot apply)."""
    state = PlanState(schools)
    actions = {MoveStudents: state.move, CloseSchool: state.close, OpenSchool: state.open,
               GradeCenter: state.grade_center, Lottery: state.lottery}
    for lever in levers:
        actions[type(lever)](lever)  # type: ignore[operator]
    return state


def lottery_admissions(lever: Lottery) -> LotteryRow:
    """The admissions INT-06 expects: each pool fills its reserved seats (target x seats, rounded) as far
    as it can, then the other pool's applicants take the seats left, so no seat stays empty while anyone waits."""
    reserved_ed = round(lever.target_ed_share * lever.seats)
    admitted_ed = min(lever.applicants_ed, reserved_ed)
    admitted_non_ed = min(lever.applicants_non_ed, lever.seats - admitted_ed)
    admitted_ed = min(lever.applicants_ed, lever.seats - admitted_non_ed)
    return LotteryRow(lever.school_id, lever.seats, lever.applicants_ed, lever.applicants_non_ed,
                      admitted_ed, admitted_non_ed, lever.target_ed_share)
