"""Small-cell suppression for every report and export meant for distribution (rules.md, Privacy).

The rule, as printed in the report's methodology appendix (``RULE_TEXT``):

1. Primary suppression. A count of students from 1 to ``min_cell - 1`` (default 1..9) is
   shown as ``<10``; its share of the school as ``<X%``, where X = ceil(100 * min_cell /
   total) depends only on the school's total, so it says no more than "1 to 9 students".
   Zero is shown as 0, as most state report cards and the NCES Common Core of Data do: a
   zero discloses nothing about an identifiable student.
2. Top-coding. A count whose complement in the school (total - count) is 1..min_cell-1
   would reveal that complement (students of color = total - white; not ED = total - ED),
   so it is shown as ``>N`` and its share as ``>Y%``, Y = floor(100 * (total - min_cell) / total).
3. Complementary suppression. Within each additive relation of one school (the seven race
   groups add up to the enrollment; white + students of color = enrollment; ED + not ED =
   enrollment; the six groups other than white add up to students of color; a lottery's
   admitted pools add up to its admitted total, each pool's admitted and unadmitted to its
   applicants), a hidden cell
   must never be the only hidden one, and when the whole is shown the hidden parts together
   must hold at least ``min_cell`` students; otherwise the smallest nonzero shown part is
   hidden too (shown as ``*``; a lottery pool's applicant count before any of its parts),
   repeated until every relation is safe. A race group other
   than white is preferred: hiding white or ED would cascade into the students-of-color and
   ED shares that the rules are about.
4. A school whose enrollment is itself below ``min_cell`` shows ``<10`` for it and ``*`` for
   every share and for its pupils per teacher (the report prints its FTE); after a change its
   enrollment stays hidden (``suppress_after``). ``below_threshold`` is the one test of it.

Percentages are rounded, so derived values are computed from the raw counts, never from
rounded shares. Charts draw a hidden share as the range it could lie in, never as a point.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from compliance.rules.model import RACE_GROUPS, SchoolRow
from compliance.rules.ruleset import section

DEFAULT_MIN_CELL = 10


def privacy_min_cell(params: dict | None) -> int:
    """The rule set's smallest count printed (PRIVACY ``min_cell``): every report and export meant for
    distribution reads its threshold here."""
    return int(section(params, "PRIVACY")["min_cell"])
SUPPRESSED = "*"
NOT_APPLICABLE = "not applicable"

TOTAL = "enrollment_total"
STUDENTS_OF_COLOR = "students_of_color"
ED = "econ_disadvantaged"
NOT_ED = "not_ed"
NON_WHITE_GROUPS: tuple[str, ...] = tuple(g for g in RACE_GROUPS if g != "white")

# Aliases used by the evaluation JSON ("share": {"ed": ...}) for the same cells.
CELL_ALIASES: dict[str, str] = {"ed": ED, "not_econ_disadvantaged": NOT_ED}



def rule_description(min_cell: int = DEFAULT_MIN_CELL) -> list[str]:
    """The suppression rule in plain sentences, for the methodology appendix and exports."""
    small = f"1 to {min_cell - 1}"
    return [
        f"Counts of {small} students are printed as \u201c<{min_cell}\u201d. The share such a count "
        f"makes of its school is printed as \u201c<X%\u201d, where X depends only on the school\u2019s "
        f"enrollment (X = 100 \u00d7 {min_cell} \u00f7 enrollment, rounded up), so it says no more than "
        f"\u201c{small} students\u201d. Zero counts are printed as 0, as most state report cards and "
        "the NCES Common Core of Data do.",
        f"A count whose complement in the school is {small} students (for example students of color "
        f"when the school has {small} white students, since students of color = enrollment \u2212 white) "
        f"is top-coded: printed as \u201c>N\u201d with N = enrollment \u2212 {min_cell}, its share as "
        f"\u201c>Y%\u201d with Y = 100 \u00d7 (enrollment \u2212 {min_cell}) \u00f7 enrollment, rounded down.",
        "Complementary suppression: the seven race groups add up to the enrollment, white and students "
        "of color add up to it, ED and not-ED add up to it, and the six groups other than white add up "
        "to students of color. In each of these sums a hidden cell is never the only hidden one, and "
        f"when the total is printed the hidden cells together hold at least {min_cell} students; "
        "otherwise the smallest nonzero printed race group other than white is hidden too, shown as "
        "\u201c*\u201d (white or ED only when nothing else can protect the cell).",
        f"A school with fewer than {min_cell} students shows \u201c<{min_cell}\u201d for its enrollment "
        "and \u201c*\u201d for every share and for its pupils per teacher (times its teacher FTE, that "
        "would give the enrollment back); after a proposed change its enrollment stays hidden "
        f"(\u201c<{min_cell}\u201d or \u201c*\u201d). Finding messages and evidence about a school go through "
        "the same rule; shares of whole grade bands and of the district are printed as computed.",
        "A lottery\u2019s pools follow the same rule: the admitted of both pools add up to the admitted "
        "total, and each pool\u2019s admitted and not admitted add up to its applicants, so when fewer than "
        f"{min_cell} applicants of a pool were not admitted, that pool\u2019s applicant count is hidden too.",
        "Charts draw a hidden share as the range it could lie in (a hatched bar or an open marker), "
        "never as an exact point.",
    ]


def _pct(value: float, decimals: int = 0) -> str:
    return f"{value * 100:.{decimals}f}%"


def suppress_count(n: int | None, min_cell: int = DEFAULT_MIN_CELL) -> str:
    """A student count as it may be printed: ``<10`` for 1..min_cell-1, else the number."""
    if n is None:
        return NOT_APPLICABLE
    if 0 < n < min_cell:
        return f"<{min_cell}"
    return f"{n:,}"


def below_threshold(enrollment: float | None, min_cell: int = DEFAULT_MIN_CELL) -> bool:
    """A school of 1 to ``min_cell - 1`` pupils (rule 4): its enrollment prints ``<10``, every share
    and every ratio per pupil ``*``. The one test of it for every table, export and estimate."""
    return enrollment is not None and 0 < enrollment < min_cell


def suppress_ratio(value: float | None, shown: str, enrollment: float | None,
                   min_cell: int = DEFAULT_MIN_CELL) -> str:
    """A school's pupils per teacher as it may be printed: ``shown``, or ``*`` under the threshold.

    The report prints each school's teacher FTE (the comparability worksheet), and the ratio
    times the FTE gives the enrollment back. No ratio (no teachers) says nothing of the
    enrollment and keeps the caller's words.
    """
    return SUPPRESSED if value is not None and below_threshold(enrollment, min_cell) else shown


def suppress_after(after: int, before: float | None, min_cell: int = DEFAULT_MIN_CELL) -> str:
    """A school's enrollment after a change, as it may be printed.

    A school under the threshold now stays hidden after the change (``*``, or ``<10`` while it is
    still under it): its enrollment after, less the moves printed beside it, gives it back.
    """
    if below_threshold(before, min_cell) and not below_threshold(after, min_cell):
        return SUPPRESSED
    return suppress_count(after, min_cell)


def suppress_change(before: int, after: int, min_cell: int = DEFAULT_MIN_CELL) -> str:
    """A school's net change of enrollment ("+12"), ``*`` when either side is under the threshold:
    the change and the side that is printed give the other back."""
    if below_threshold(before, min_cell) or below_threshold(after, min_cell):
        return SUPPRESSED
    delta = after - before
    return f"{delta:+,}" if delta else "0"


def small_share_bound(total: int, min_cell: int = DEFAULT_MIN_CELL) -> int | None:
    """X in ``<X%``: a whole percent above any share a 1..min_cell-1 count can have; None if useless."""
    bound = math.ceil(100 * min_cell / total)
    return bound if bound < 100 else None


def top_share_bound(total: int, min_cell: int = DEFAULT_MIN_CELL) -> int | None:
    """Y in ``>Y%``: a whole percent below any share whose complement is 1..min_cell-1."""
    bound = math.floor(100 * (total - min_cell) / total)
    return bound if bound > 0 else None


def suppress_share(
    count: int | None, total: int | None, min_cell: int = DEFAULT_MIN_CELL, decimals: int = 0
) -> str:
    """A share of a school (or any unit) as it may be printed, applying rules 1, 2 and 4.

    Complementary suppression (rule 3) needs the other cells of the unit: use
    :func:`suppress_school` for a whole school row.
    """
    if count is None or not total:
        return NOT_APPLICABLE
    if below_threshold(total, min_cell):
        return SUPPRESSED
    if 0 < count < min_cell:
        bound = small_share_bound(total, min_cell)
        return f"<{bound}%" if bound is not None else SUPPRESSED
    if 0 < total - count < min_cell:
        bound = top_share_bound(total, min_cell)
        return f">{bound}%" if bound is not None else SUPPRESSED
    return _pct(count / total, decimals)


@dataclass(frozen=True, slots=True)
class CellMask:
    """One unit's (school's) counts and which of them may not be printed."""

    counts: dict[str, int]
    hidden: frozenset[str]
    min_cell: int = DEFAULT_MIN_CELL
    # The unit's label as the rules write it, "Elementary School 2 (01002": its digits are the
    # name's and the id's, not counts, whatever they happen to equal (scrub_text). Only the whole
    # label: a bare id such as "7" would otherwise shelter every 7 in the message.
    label: str = ""

    @property
    def total(self) -> int:
        return self.counts[TOTAL]

    def _key(self, cell: str) -> str:
        return CELL_ALIASES.get(cell, cell)

    def is_hidden(self, cell: str) -> bool:
        return self._key(cell) in self.hidden

    def is_small(self, cell: str) -> bool:
        v = self.counts.get(self._key(cell))
        return v is not None and 0 < v < self.min_cell

    def is_top_coded(self, cell: str) -> bool:
        v = self.counts.get(self._key(cell))
        return v is not None and 0 < self.total - v < self.min_cell

    def count(self, cell: str) -> str:
        cell = self._key(cell)
        v = self.counts.get(cell)
        if v is None:
            return NOT_APPLICABLE
        if cell not in self.hidden:
            return f"{v:,}"
        if self.is_small(cell):
            return f"<{self.min_cell}"
        if self.is_top_coded(cell) and TOTAL not in self.hidden:
            return f">{self.total - self.min_cell:,}"
        return SUPPRESSED

    def share(self, cell: str, decimals: int = 0) -> str:
        cell = self._key(cell)
        v = self.counts.get(cell)
        if v is None or not self.total:
            return NOT_APPLICABLE
        if TOTAL in self.hidden:
            return SUPPRESSED
        if cell not in self.hidden:
            return _pct(v / self.total, decimals)
        if self.is_small(cell) or self.is_top_coded(cell):
            return suppress_share(v, self.total, self.min_cell, decimals)
        return SUPPRESSED

    def share_range(self, cell: str) -> tuple[float, float] | None:
        """The interval a reader may learn for the share: a point if shown, None if nothing."""
        cell = self._key(cell)
        v = self.counts.get(cell)
        if v is None or not self.total or TOTAL in self.hidden:
            return None
        t = self.total
        if cell not in self.hidden:
            return (v / t, v / t)
        if self.is_small(cell):
            return (1 / t, (self.min_cell - 1) / t)
        if self.is_top_coded(cell):
            return ((t - self.min_cell + 1) / t, (t - 1) / t)
        return None

    def hidden_values(self) -> Iterable[tuple[str, int]]:
        return ((c, self.counts[c]) for c in sorted(self.hidden))


def school_counts(row: SchoolRow) -> dict[str, int]:
    """The cells of one school that the report can print, raw counts."""
    counts = {TOTAL: row.enrollment_total}
    for group in RACE_GROUPS:
        counts[group] = getattr(row, group)
    counts[STUDENTS_OF_COLOR] = row.enrollment_total - row.white
    counts[ED] = row.econ_disadvantaged
    counts[NOT_ED] = row.enrollment_total - row.econ_disadvantaged
    for optional in ("english_learners", "students_with_disabilities"):
        value = getattr(row, optional, None)
        if value is not None:
            counts[optional] = value
            counts[f"not_{optional}"] = row.enrollment_total - value
    return counts


def _relations(counts: dict[str, int]) -> list[tuple[tuple[str, ...], str]]:
    """(parts, whole) pairs: the parts add up to the whole."""
    rel = [
        (RACE_GROUPS, TOTAL),
        (("white", STUDENTS_OF_COLOR), TOTAL),
        (NON_WHITE_GROUPS, STUDENTS_OF_COLOR),
        ((ED, NOT_ED), TOTAL),
    ]
    for optional in ("english_learners", "students_with_disabilities"):
        if optional in counts:
            rel.append(((optional, f"not_{optional}"), TOTAL))
    # A lottery's pools (the report prints its seats and empty seats, so the admitted total is
    # known): the admitted add up to it, and each pool's admitted and unadmitted to its applicants.
    rel += [
        (("admitted_ed", "admitted_non_ed"), TOTAL),
        (("admitted_ed", "unadmitted_ed"), "applicants_ed"),
        (("admitted_non_ed", "unadmitted_non_ed"), "applicants_non_ed"),
    ]
    return rel


_KEY_CELLS = frozenset({"white", STUDENTS_OF_COLOR, ED, NOT_ED})
# Wholes hidden before any part: a pool's applicants are in no other relation, its admitted are.
_PREFER_WHOLE = frozenset({"applicants_ed", "applicants_non_ed"})


def mask_counts(counts: dict[str, int], min_cell: int = DEFAULT_MIN_CELL, label: str = "") -> CellMask:
    """Apply primary and complementary suppression to one unit's counts (see module doc)."""
    relations = [(p, w) for p, w in _relations(counts) if w in counts and all(c in counts for c in p)]
    hidden = {c for c, v in counts.items() if 0 < v < min_cell}
    changed = True
    while changed:
        changed = False
        for parts, whole in relations:
            hidden_parts = [c for c in parts if c in hidden]
            n_hidden = len(hidden_parts) + (whole in hidden)
            if n_hidden == 0:
                continue
            unsafe = n_hidden == 1 or (
                whole not in hidden and sum(counts[c] for c in hidden_parts) < min_cell
            )
            if not unsafe:
                continue
            shown = [c for c in parts if c not in hidden]
            # Prefer hiding a race group over white/ED cells: hiding those cascades into the
            # students-of-color and ED shares, the numbers the rules are about.
            nonzero = sorted((c for c in shown if counts[c] > 0), key=lambda c: (c in _KEY_CELLS, counts[c], c))
            if whole in _PREFER_WHOLE and whole not in hidden:
                pick = whole  # a lottery's applicants: hiding them keeps the admitted counts the rule is about
            elif nonzero:
                pick = nonzero[0]
            elif whole not in hidden:
                pick = whole  # every shown part is 0: only the whole can hide the value
            elif shown:
                pick = shown[0]
            else:
                continue
            hidden.add(pick)
            changed = True
    return CellMask(counts=dict(counts), hidden=frozenset(hidden), min_cell=min_cell, label=label)


def school_label(name: str, school_id: str) -> str:
    """The start of a school's label in the rules' messages: "Name (id" (then ")" or ", row ...")."""
    return f"{name} ({school_id}" if name and school_id else ""


def suppress_school(row: SchoolRow, min_cell: int = DEFAULT_MIN_CELL) -> CellMask:
    return mask_counts(school_counts(row), min_cell, label=school_label(row.school_name, row.school_id))


def school_display_row(row: SchoolRow, min_cell: int = DEFAULT_MIN_CELL, decimals: int = 1) -> dict[str, str]:
    """Every count and share of one school as it may be printed: ready for a CSV export."""
    mask = suppress_school(row, min_cell)
    out: dict[str, str] = {"school_id": row.school_id, "school_name": row.school_name}
    for cell in mask.counts:
        out[cell] = mask.count(cell)
        if cell != TOTAL:
            out[f"{cell}_share"] = mask.share(cell, decimals)
    return out


# One pass over percentages and plain integers, so a replacement is never rescanned.
_NUMBER_TOKEN = re.compile(
    r"(?<![\w.,])(?:(?P<pts>\d+(?:\.\d+)?)(?=\s*(?:percentage\s+)?points?\b)|(?P<pct>\d+(?:\.\d+)?)\s*%|(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?!\w|,\d|\.\d))"
)


# A school's pupils per teacher in a rule's message ("18.54 students per state/local-funded teacher").
_PER_PUPIL_RATIO = re.compile(r"(?<![\w.,])\d[\d,]*(?:\.\d+)?(?= students per\b)")


def scrub_text(text: str, mask: CellMask | None) -> str:
    """Replace, in a message about one school, any number that gives away a hidden cell.

    A plain integer equal to a hidden count becomes its printed form (``<10``); a percentage
    that is a rounding of a hidden share becomes the printed share (``<3%``, ``*``).
    """
    if not text or mask is None or not mask.hidden:
        return text
    if below_threshold(mask.total, mask.min_cell):
        # "7.00 students per state/local-funded teacher (<10 / 1 FTE)": the ratio and the FTE give it back.
        text = _PER_PUPIL_RATIO.sub(SUPPRESSED, text)
    hidden = dict(mask.hidden_values())
    total = mask.total
    labels = [(m.start(), m.end()) for m in re.finditer(re.escape(mask.label), text)] if mask.label else []

    percents = [float(p) for p in re.findall(r"(\d+(?:\.\d+)?)\s*%", text)]

    def reveals_by_difference(value: float, decimals: int) -> bool:
        # "differs by 51.2 points" next to a printed band share gives the hidden share away
        tol = 0.5 * 10**-decimals + 0.05
        return any(abs(abs(100 * count / total - p) - value) <= tol for count in hidden.values() for p in percents)

    def fix(m: re.Match[str]) -> str:
        if any(start <= m.start() and m.end() <= end for start, end in labels):
            return m.group(0)  # part of the school's own name and id, not a count
        if m.group("pts") is not None:
            token = m.group("pts")
            decimals = len(token.split(".")[1]) if "." in token else 0
            return "*" if total and reveals_by_difference(float(token), decimals) else token
        if m.group("pct") is not None:
            token = m.group("pct")
            decimals = len(token.split(".")[1]) if "." in token else 0
            value = float(token)
            for cell, count in hidden.items():
                if total and abs(100 * count / total - value) <= 0.5 * 10**-decimals + 1e-9:
                    return mask.share(cell)
            return m.group(0)
        value = int(m.group("int").replace(",", ""))
        for cell, count in hidden.items():
            if count == value:
                return mask.count(cell)
        return m.group(0)

    return _NUMBER_TOKEN.sub(fix, text)


# "6 students", "1 student", "6 white students", "2 American Indian pupils", "6 students of two or
# more races", "5 more other applicants", "(5 more than admitted)": a number of students, pupils,
# children, applicants or admissions (comments and notes are typed freely, in the singular too).
_SMALL_STUDENTS = re.compile(
    r"(?<![\w.,$])(\d+)(?=(?: [A-Za-z-]+){0,3} (?:students?|pupils?|child(?:ren)?|applicants?|admitted)\b)")


# "(5 students to A, 12 students to B)": the two sides of an exchange whose total is printed.
_TWO_WAY = re.compile(r"\((\d[\d,]*) students to ([^,()]+), (\d[\d,]*) students to ([^()]+)\)")


_EACH_WAY = re.compile(r"(\d[\d,]*) students between ([^()]+?) \((\d[\d,]*) students each way\)")


def scrub_small_counts(text: str, min_cell: int = DEFAULT_MIN_CELL) -> str:
    """Replace any 1..min_cell-1 number of students in free text (recommendation bodies).

    The two sides of an exchange add up to its printed total, so a small side hides the other
    side too (else the total less the shown side gives it back).
    """
    def small(token: str) -> bool:
        return 0 < int(token.replace(",", "")) < min_cell

    def two_way(m: re.Match[str]) -> str:
        if not (small(m.group(1)) or small(m.group(3))):
            return m.group(0)
        hidden = f"<{min_cell}" if small(m.group(1)) and small(m.group(3)) else "*"
        first = f"<{min_cell}" if small(m.group(1)) else hidden
        second = f"<{min_cell}" if small(m.group(3)) else hidden
        return f"({first} students to {m.group(2)}, {second} students to {m.group(4)})"

    def each_way(m: re.Match[str]) -> str:
        # The total is twice a side: a small side hides the total as well.
        if not small(m.group(3)):
            return m.group(0)
        total = f"<{min_cell}" if small(m.group(1)) else f"<{2 * min_cell}"
        return f"{total} students between {m.group(2)} (<{min_cell} students each way)"

    text = _EACH_WAY.sub(each_way, _TWO_WAY.sub(two_way, text))
    return _SMALL_STUDENTS.sub(lambda m: f"<{min_cell}" if small(m.group(1)) else m.group(1), text)
