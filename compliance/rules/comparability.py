"""The comparability worksheet (RES-01 staff, RES-02 spending): the one determination behind the findings and the PDF.

docs/rules.md, "Resource equity". Per band with more than one counted school (pupils and a
Budget row) and per rule: schools under the rule's ``min_enrollment`` are exempt and left out
of the comparison pool; the pool is the band's non-Title I schools, or every school of the band
when all of them are Title I; for staff, schools without state/local teachers are left out of the
pooled ratio. Each Title I school that is not exempt is then comparable or not; the RES-01 and
RES-02 findings are exactly its "not comparable" schools (:func:`comparability_findings`).

Statuses are held in arrays (one per band and rule), so the whole district costs a few numpy
passes; :meth:`BandSheet.rows` turns them into printable rows only for the schools asked for.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from .labels import CODE_WORDS
from .limits import RULE_VERSION, money, slack
from .model import BANDS, BudgetRow, RuleFinding, SchoolRow
from .resource_measures import ResourceArrays, per_pupil_expenditure, students_per_teacher
from .ruleset import section


class Status(StrEnum):
    """Where a school stands under one of the two tests."""

    COMPARABLE = "comparable"
    NOT_COMPARABLE = "not_comparable"
    EXEMPT_SMALL = "exempt_small"  # under the rule's minimum enrollment
    EXEMPT_ALONE = "exempt_alone"  # the only counted school of its band: nothing to compare with
    NOT_TITLE_I = "not_title_i"  # only Title I schools are tested; the others are the yardstick
    NO_COMPARISON = "no_comparison"  # the pool gives no figure (for staff: no pool school reports teachers)
    RULE_OFF = "rule_off"  # the rule is turned off in the rule set


# Statuses are stored as small integers (the index in this tuple), one array per band and rule.
_STATUSES: tuple[Status, ...] = tuple(Status)
_CODE = {s: np.int8(i) for i, s in enumerate(_STATUSES)}
TESTED = frozenset({Status.COMPARABLE, Status.NOT_COMPARABLE})
_TESTED_CODES = np.array([_CODE[s] for s in TESTED], dtype=np.int8)


@dataclass(frozen=True, slots=True)
class Rule:
    """One of the two tests with the rule set's parameters."""

    code: str  # "RES-01" (staff) or "RES-02" (spending)
    enabled: bool
    limit: float
    min_enrollment: int
    severity: str

    @property
    def staff(self) -> bool:
        return self.code == "RES-01"

    @classmethod
    def of(cls, params: dict | None, code: str) -> Rule:
        p = section(params, code)
        return cls(code, bool(p.get("enabled", True)), float(p["limit"]), p["min_enrollment"], p["severity"])


@dataclass(frozen=True, slots=True)
class Test:
    """One rule in one band: the comparison pool, its pooled figure, the threshold, each school's status."""

    rule: Rule
    group: str | None  # "non_title_i" or "band" (labels.CODE_WORDS); None when no pool is formed
    pool: np.ndarray  # bool per band member: in the comparison pool
    pooled: float | None  # students per teacher (RES-01) or dollars per pupil (RES-02)
    threshold: float | None  # limit x pooled: at most (staff), at least (spending)
    status: np.ndarray  # int8 status code per band member
    # The pool's totals behind ``pooled`` (the remedies solve with them): its pupils, and its
    # teacher FTE (staff) or state/local dollars (spending).
    pupils: float = 0.0
    amount: float = 0.0

    @property
    def pool_size(self) -> int:
        return int(self.pool.sum())

    @property
    def pool_words(self) -> str:
        """Which schools the pool holds, as a reader reads it ("" without a pool)."""
        return CODE_WORDS[self.group] if self.group else ""

    def status_of(self, i: int) -> Status:
        return _STATUSES[int(self.status[i])]

    def has(self, status: Status) -> np.ndarray:
        return self.status == _CODE[status]


@dataclass(frozen=True, slots=True)
class Row:
    """One counted school of a band with its figures and where it stands under each test."""

    school: SchoolRow
    budget: BudgetRow
    students_per_teacher: float | None  # None without state/local teachers
    ppe: float  # state/local dollars per pupil
    staff: Status
    spending: Status
    in_staff_pool: bool
    in_spending_pool: bool
    shortfall: float  # how far below its limit, relative to it (the worse test); 0 when nothing fails

    @property
    def tested(self) -> bool:
        return self.staff in TESTED or self.spending in TESTED

    @property
    def failed(self) -> tuple[str, ...]:
        """The rule codes the school does not meet."""
        return tuple(code for code, st in (("RES-01", self.staff), ("RES-02", self.spending))
                     if st is Status.NOT_COMPARABLE)


@dataclass(frozen=True, slots=True)
class BandSheet:
    """One band's worksheet: its counted schools (in school_id order) under both tests."""

    band: str
    arrays: ResourceArrays
    members: np.ndarray  # indices into ``arrays``
    staff: Test
    spending: Test

    def __len__(self) -> int:
        return len(self.members)

    @property
    def tests(self) -> tuple[Test, Test]:
        return self.staff, self.spending

    @property
    def title_i(self) -> np.ndarray:
        """Per member: a Title I school."""
        return self.arrays.title_i[self.members]

    def tested(self) -> np.ndarray:
        """Per member: a Title I school tested by at least one rule."""
        return np.isin(self.staff.status, _TESTED_CODES) | np.isin(self.spending.status, _TESTED_CODES)

    def failing(self) -> np.ndarray:
        """Per member: not comparable under at least one rule."""
        return self.staff.has(Status.NOT_COMPARABLE) | self.spending.has(Status.NOT_COMPARABLE)

    def rows(self, which: np.ndarray | None = None) -> list[Row]:
        """Printable rows of the members at positions ``which`` (every member by default)."""
        positions = range(len(self.members)) if which is None else (int(i) for i in which)
        return [self._row(i) for i in positions]

    def _row(self, i: int) -> Row:
        s, b = self.arrays.rows[int(self.members[i])]
        ratio = students_per_teacher(s.enrollment_total, b.teacher_fte_state_local)
        ppe = per_pupil_expenditure(b, s.enrollment_total)
        assert ppe is not None  # counted schools have pupils
        staff, spending = self.staff.status_of(i), self.spending.status_of(i)
        short = 0.0
        if staff is Status.NOT_COMPARABLE and self.staff.threshold:
            short = ratio / self.staff.threshold - 1 if ratio is not None else float("inf")
        if spending is Status.NOT_COMPARABLE and self.spending.threshold:
            short = max(short, 1 - ppe / self.spending.threshold)
        return Row(s, b, ratio, ppe, staff, spending, bool(self.staff.pool[i]), bool(self.spending.pool[i]), short)


@dataclass(frozen=True, slots=True)
class Worksheet:
    """The district's comparability worksheet: both rules, and every band with a counted school."""

    rules: tuple[Rule, Rule]
    bands: tuple[BandSheet, ...]  # in BANDS order


def comparability_worksheet(arr: ResourceArrays, params: dict | None) -> Worksheet:
    """Every counted school's status under RES-01 and RES-02, band by band (``arr``: the counted schools)."""
    rules = (Rule.of(params, "RES-01"), Rule.of(params, "RES-02"))
    bands = []
    for band in BANDS:
        members = np.flatnonzero(arr.band == band)
        if len(members):
            bands.append(BandSheet(band, arr, members, _test(arr, members, rules[0]), _test(arr, members, rules[1])))
    return Worksheet(rules, tuple(bands))


def _test(arr: ResourceArrays, members: np.ndarray, rule: Rule) -> Test:
    n = len(members)
    nobody = np.zeros(n, dtype=bool)
    if not rule.enabled:
        return Test(rule, None, nobody, None, None, np.full(n, _CODE[Status.RULE_OFF]))
    if n < 2:  # one school in the band: nothing to compare with
        return Test(rule, None, nobody, None, None, np.full(n, _CODE[Status.EXEMPT_ALONE]))
    enrollment, title_i = arr.enrollment[members], arr.title_i[members]
    eligible = enrollment >= rule.min_enrollment
    pool, group = eligible & ~title_i, "non_title_i"
    if not pool.any():
        pool, group = eligible, "band"
    if rule.staff:
        fte = arr.fte[members]
        pool = pool & (fte > 0)
        pupils, amount = float(enrollment[pool].sum()), float(fte[pool].sum())
        pooled = _quotient(pupils, amount)
    else:
        pupils, amount = float(enrollment[pool].sum()), float(arr.dollars[members][pool].sum())
        pooled = _quotient(amount, pupils)
    status = np.where(eligible, _CODE[Status.NOT_TITLE_I], _CODE[Status.EXEMPT_SMALL])
    tested = eligible & title_i
    if pooled is None:
        status[tested] = _CODE[Status.NO_COMPARISON]
        return Test(rule, group, pool, None, None, status, pupils, amount)
    threshold = rule.limit * pooled
    fails = _fails(arr, members, rule, threshold)
    status[tested] = np.where(fails[tested], _CODE[Status.NOT_COMPARABLE], _CODE[Status.COMPARABLE])
    return Test(rule, group, pool, pooled, threshold, status, pupils, amount)


def _quotient(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def _fails(arr: ResourceArrays, members: np.ndarray, rule: Rule, threshold: float) -> np.ndarray:
    """Per member: its figure misses the threshold by more than float error (limits.above / below)."""
    if rule.staff:
        fte = arr.fte[members]
        # No state/local teachers at all fails: an infinite ratio.
        ratio = np.divide(arr.enrollment[members], fte, out=np.full(len(members), np.inf), where=fte > 0)
        return ratio > threshold + slack(threshold)
    return arr.ppe[members] < threshold - slack(threshold)


# ------------------------------------------------------------------------------ the findings


def comparability_findings(sheet: Worksheet) -> list[RuleFinding]:
    """RES-01 then RES-02 findings: one per "not comparable" school, band by band, in school_id order."""
    out: list[RuleFinding] = []
    for k in range(len(sheet.rules)):
        for b in sheet.bands:
            test = b.tests[k]
            failing = np.flatnonzero(test.has(Status.NOT_COMPARABLE))
            n_pool = test.pool_size if len(failing) else 0
            for i in failing:
                s, budget = b.arrays.rows[int(b.members[i])]
                out.append(_finding(test, n_pool, s, budget, b.band))
    return out


def _comparison_words(group: str, band: str) -> str:
    if group == "non_title_i":
        return f"the non-Title I schools of the {band} band"
    return f"all schools of the {band} band (every school there is Title I)"


def _staff_gap(s: SchoolRow, b: BudgetRow, pooled: float, limit: float, threshold: float, where: str
               ) -> tuple[dict[str, Any], str, float]:
    """RES-01: the school's own evidence, the message and the FTE it needs."""
    fte = b.teacher_fte_state_local
    ratio = students_per_teacher(s.enrollment_total, fte)
    # FTE the school needs so that enrollment / FTE <= threshold.
    needed = max(0.0, s.enrollment_total / threshold - fte)
    if ratio is None:
        detail = f"reports no state/local-funded teachers for {s.enrollment_total} students"
    else:
        detail = f"has {ratio:.2f} students per state/local-funded teacher ({s.enrollment_total} / {fte:g} FTE)"
    message = (
        f"Title I school {s.school_name} ({s.school_id}) {detail}; the limit is {limit:.0%} of the pooled ratio "
        f"of {where} ({pooled:.2f}), i.e. {threshold:.2f}. "
        f"About {needed:.1f} more state/local teacher FTE would meet it."
    )
    own = {"students_per_teacher": ratio, "enrollment_total": s.enrollment_total, "teacher_fte_state_local": fte}
    return own, message, needed


def _spending_gap(s: SchoolRow, b: BudgetRow, pooled: float, limit: float, threshold: float, where: str
                  ) -> tuple[dict[str, Any], str, float]:
    """RES-02: the school's own evidence, the message and the dollars it needs."""
    ppe = per_pupil_expenditure(b, s.enrollment_total)
    assert ppe is not None  # counted schools have pupils
    needed = (threshold - ppe) * s.enrollment_total
    message = (
        f"Title I school {s.school_name} ({s.school_id}) spends {money(ppe)} per pupil from state and local "
        f"funds; the minimum is {limit:.0%} of the pooled figure of {where} "
        f"({money(pooled)}), i.e. {money(threshold)}. About {money(needed)} more state/local funding would meet it."
    )
    return {"ppe_state_local": ppe, "enrollment_total": s.enrollment_total}, message, needed


# Per rule: the school's gap, and the evidence keys of the pooled figure and of what is needed.
_GAPS = {
    "RES-01": (_staff_gap, "comparison_pooled_students_per_teacher", "additional_fte_needed"),
    "RES-02": (_spending_gap, "comparison_pooled_ppe", "additional_dollars_needed"),
}


def _finding(test: Test, n_pool: int, s: SchoolRow, b: BudgetRow, band: str) -> RuleFinding:
    rule = test.rule
    assert test.group is not None and test.pooled is not None and test.threshold is not None  # a tested school
    gap_of, pooled_key, needed_key = _GAPS[rule.code]
    own, message, needed = gap_of(s, b, test.pooled, rule.limit, test.threshold, _comparison_words(test.group, band))
    return RuleFinding(
        rule=rule.code, severity=rule.severity, scope="school", school_id=s.school_id, band=band,
        message=message, rule_version=RULE_VERSION,
        evidence={
            **own, "comparison_group": test.group, "comparison_schools": n_pool, pooled_key: test.pooled,
            "limit": rule.limit, "threshold": test.threshold, needed_key: needed,
        },
    )
