"""Everything a findings report needs, gathered by the caller (worker, view or CLI).

The report code never touches the database: the lead's code fills a ``ReportContext``
from the submission, its evaluation JSON and the parsed school rows, so the same PDF
comes out of the worker, ``manage.py evaluate --pdf`` and the tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from compliance.rules.model import BudgetRow, ProposedRow, SchoolRow
from compliance.rules.recommendation_json import expand

from .suppression import DEFAULT_MIN_CELL, scrub_small_counts

DISMISSED = "dismissed"  # ReviewStatus.DISMISSED's value (reports do not import the models)


@dataclass(slots=True)
class ReportContext:
    # The evaluation JSON of evaluate-cli.md (template_version, district, rule_set,
    # problems, measures{district,bands,schools,proposed}, findings).
    evaluation: dict[str, Any]
    # The parsed Schools rows: the raw counts that small-cell suppression needs.
    schools: list[SchoolRow]
    district_name: str
    district_id: str
    state: str  # postal code, e.g. "MS"
    cycle: str  # school year, e.g. "2026-27"
    submission_version: int
    status: str  # human label, e.g. "Under review"
    workbook_sha256: str
    rule_set_name: str
    rule_set_version: str
    rule_params: dict[str, Any]
    generated_at: datetime
    # {"outcome", "decided_by", "decided_at" (datetime or str), "note", "signed_off_by" (a name, or "" when
    # no sign-off was needed)}; None until decided.
    decision: dict[str, Any] | None = None
    # [{"author", "created_at", "body", "finding": index into evaluation["findings"] (optional)}]
    comments: list[dict[str, Any]] = field(default_factory=list)
    # finding index -> {"status": "confirmed" | "dismissed", "note": str}
    finding_reviews: dict[int, dict[str, Any]] = field(default_factory=dict)
    min_cell: int = DEFAULT_MIN_CELL
    # {"by" (a name, with ", through the API" when so certified), "at", "unsigned_note" (optional)}; None
    # before the district certifies (the report is then a draft).
    certified: dict[str, Any] | None = None
    # (label, date in words) of the next deadline, e.g. ("State review due", "3 Jan 2027"); None if none.
    response_due: tuple[str, str] | None = None
    # {"region", "center", "operator"} of the Equity Assistance Center serving the state; None if unknown.
    assistance_center: dict[str, str] | None = None
    state_contact: str = ""  # who at the state answers questions about this report, in words
    # The corrective action plan the state set with its decision, in due order: [{"description",
    # "due_on" (date), "status" (in words), "finding": index into evaluation["findings"] or None}].
    corrective_actions: list[dict[str, Any]] = field(default_factory=list)
    lottery_rows: int = 0  # rows of the Lottery sheet: 0 means INT-06 did not apply
    # The Proposed sheet's rows (None: no Proposed sheet) and the District sheet's description of the change.
    proposed: list[ProposedRow] | None = None
    proposed_description: str = ""
    budget: list[BudgetRow] = field(default_factory=list)  # the Budget sheet: the comparability worksheet's FTE
    # The district's previous decided submissions, oldest first: [{"label" (e.g. "2025-26"), "decided_at",
    # "outcome", "measures": the evaluation's measures["district"] block}].
    history: list[dict[str, Any]] = field(default_factory=list)
    # Other districts' latest accepted evaluations of the same cycle: [the measures["district"] block of each].
    peers: list[dict[str, Any]] = field(default_factory=list)
    # Filled on first use by repeats.repeats(): band finding index -> the district finding it repeats.
    repeats: dict[int, int] | None = None

    def __post_init__(self) -> None:
        # The JSON names each band's plan in its findings' reassignment estimates; the report
        # reads every estimate whole (recommendation_json).
        self.evaluation = expand(self.evaluation)

    @property
    def proposed_description_printed(self) -> str:
        """The District sheet's proposed_change_description as the report prints it: any 1 to
        ``min_cell - 1`` students in it ("we will move 3 students") hidden, as in every free text."""
        return scrub_small_counts(self.proposed_description.strip(), self.min_cell)

    def review(self, index: int) -> dict[str, Any] | None:
        """The state's review of finding ``index`` ({"status", "note"}), or None while none.
        Keys are ints, or strings once the facts have been through JSON."""
        return self.finding_reviews.get(index) or self.finding_reviews.get(str(index))  # type: ignore[call-overload]

    def dismissed(self, index: int) -> bool:
        """Whether the state dismissed finding ``index`` on review (it then decides nothing)."""
        return (self.review(index) or {}).get("status") == DISMISSED
