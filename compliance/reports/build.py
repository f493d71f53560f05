"""Turn a ReportContext into the plain view model the template prints.

All decisions (what to say, how to round, what to suppress, when to summarize) are made
in Python; the template only lays things out. Every school-level number goes through the
school's ``CellMask`` (suppression.py) before it becomes text. The parts: evidence.py (one
finding's numbers, shared with the screen), advice.py (recommendation blocks, shared with
the screen), sections.py (findings by rule), summary.py (summary, measures, charts, data).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from compliance.rules import ruleset
from compliance.rules.registry import RULE_NAMES, STUDENT_COLUMNS, section_name, threshold_text

from . import charts
from . import formatting as fmt
from .comparability import worksheet
from .context import ReportContext
from .decision import decision_page, verdicts
from .evidence import EvidenceFormatter, finding_for_export
from .plan import action_plan
from .proposal_view import proposal
from .sections import AREAS, TABLE_MAX, rule_sections
from .summary import FULL_TABLE_MAX, data_appendix, report_charts, summary
from .suppression import mask_counts, rule_description, scrub_small_counts, scrub_text
from .trends import context_view
from .view_schools import SchoolInfo, finding_label, schools_of

# Views, presenters, exports and tests import these from here.
__all__ = ["FULL_TABLE_MAX", "RULE_NAMES", "TABLE_MAX", "EvidenceFormatter", "ReportView", "build_view",
           "finding_for_export", "threshold_text"]

MAX_PROBLEMS = 200


def _problem_school(message: str, schools: dict[str, SchoolInfo]) -> SchoolInfo | None:
    """The school a plausibility message is about: the rules name it as "Name (school_id)"."""
    for sid, school in schools.items():
        if f"({sid})" in message or f"({sid}," in message:
            return school
    return None


def _problems(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> dict[str, Any]:
    problems = ctx.evaluation.get("problems") or []
    rows = []
    for p in problems[:MAX_PROBLEMS]:
        value = p.get("value")
        column = str(p.get("column") or "")
        message = str(p.get("message") or "")
        shown = "" if value is None else str(value)
        school = _problem_school(message, schools)
        if school is not None:  # e.g. a Title I check quoting the school's ED share
            message = scrub_text(message, school.mask)
        if column in STUDENT_COLUMNS and isinstance(value, (int, float)) and not isinstance(value, bool) \
                and 0 < value < ctx.min_cell:
            shown = f"<{ctx.min_cell}"
            mask = mask_counts({"enrollment_total": 10**9, column: int(value)}, ctx.min_cell)
            message = scrub_text(message, mask)
        rows.append({
            "code": p.get("code") or "", "severity": p.get("severity") or "", "sheet": p.get("sheet") or "",
            "row": p.get("row") or "", "column": column, "value": shown, "message": message,
            "fix": p.get("fix") or "",
        })
    counts = Counter(p.get("severity") for p in problems)
    return {"rows": rows, "total": len(problems), "more": max(0, len(problems) - MAX_PROBLEMS),
            "errors": counts.get("error", 0), "warnings": counts.get("warning", 0)}



def _suppression_summary(schools: dict[str, SchoolInfo]) -> str:
    masked = [s.mask for s in schools.values() if s.mask is not None and s.mask.hidden]
    cells = sum(len(m.hidden) for m in masked)
    if not masked:
        return "No school in this submission has a count that needed suppression."
    return (f"In this report {cells} count(s) at {len(masked)} of {len(schools)} schools are suppressed "
            "(primary and complementary together).")


def _comments(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> list[dict[str, Any]]:
    findings = ctx.evaluation.get("findings") or []
    out = []
    for c in ctx.comments:
        ref = ""
        idx = c.get("finding")
        if isinstance(idx, int) and 0 <= idx < len(findings):
            f = findings[idx]
            ref = f"On finding {idx + 1} ({f.get('rule')}, {finding_label(f, schools)})"
        # A reviewer's own words: numbers of students hidden by their place in the sentence, as in the
        # recommendations. Matching digits against the school's hidden counts rewrote names and dates,
        # and which digits it rewrote gave those counts away.
        body = scrub_small_counts(str(c.get("body") or ""), ctx.min_cell)
        out.append({"author": str(c.get("author") or ""), "when": fmt.when(c.get("created_at")), "ref": ref,
                    "paragraphs": [p for p in body.split("\n\n") if p.strip()]})
    return out


def _methodology(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> dict[str, Any]:
    thresholds = []
    for code in ruleset.DEFAULT_PARAMS:
        text = threshold_text(code, ctx.rule_params)
        if text:
            is_rule = code[:3] in ("INT", "RES")
            thresholds.append({"code": code if is_rule else "\u2014", "name": section_name(code), "text": text})
    return {
        "thresholds": thresholds,
        "suppression": rule_description(ctx.min_cell),
        "suppression_summary": _suppression_summary(schools),
        "min_cell": ctx.min_cell,
    }


@dataclass
class ReportView:
    title: str
    ctx: ReportContext
    cover: list[tuple[str, str]]
    summary: dict[str, Any]
    charts: dict[str, list[charts.Chart]]
    areas: list[dict[str, Any]]
    problems: dict[str, Any]
    methodology: dict[str, Any]
    data: dict[str, Any]
    decision: list[tuple[str, str]] | None
    comments: list[dict[str, Any]] = field(default_factory=list)
    first_page: dict[str, Any] = field(default_factory=dict)
    colophon: list[tuple[str, str]] = field(default_factory=list)
    plan: list[dict[str, Any]] = field(default_factory=list)  # the action plan: each recommendation once
    plan_omitted: int = 0
    proposal: dict[str, Any] | None = None  # the Proposed sheet's change, before and after
    worksheet: dict[str, Any] | None = None  # the comparability worksheet
    context: dict[str, Any] | None = None  # the key measures over time and across the state


def _cover(ctx: ReportContext) -> list[tuple[str, str]]:
    """What the subtitle does not say: the district's id and state."""
    return [("District", f"{ctx.district_name} ({ctx.district_id})" + (f", {ctx.state}" if ctx.state else ""))]


def _colophon(ctx: ReportContext) -> list[tuple[str, str]]:
    """What identifies this report's inputs: for an auditor, on the last page."""
    return [
        ("Rule set", f"{ctx.rule_set_name}, version {ctx.rule_set_version}"),
        ("Workbook SHA-256", ctx.workbook_sha256),
        ("Generated", fmt.when(ctx.generated_at)),
    ]


def _decision(ctx: ReportContext) -> list[tuple[str, str]] | None:
    if not ctx.decision:
        return None
    d = ctx.decision
    decision = [("Outcome", str(d.get("outcome") or "")), ("Decided by", str(d.get("decided_by") or "")),
                ("Date", fmt.when(d.get("decided_at")))]
    if d.get("note"):
        decision.append(("Note", str(d["note"])))
    return decision


def _areas(ctx: ReportContext, by_area: dict[str, list[dict[str, Any]]], problems: dict[str, Any],
           figures: dict[str, list[charts.Chart]]) -> list[dict[str, Any]]:
    """The findings chapters, in the decision page's order; an area that does not apply has none."""
    verdict = {v["key"]: v["verdict"] for v in verdicts(ctx)}
    areas = []
    for key, name, blurb in AREAS:
        rules = by_area.get(key, [])
        if key == "data" and not rules and not problems["total"]:
            continue  # the summary says the workbook has no problems
        if verdict.get(key, "").startswith("not applicable") and not rules:
            continue
        areas.append({"key": key, "name": name, "blurb": blurb, "rules": rules, "verdict": verdict.get(key, ""),
                      "problems": problems if key == "data" else None, "charts": figures.get(key, [])})
    return areas


def build_view(ctx: ReportContext) -> ReportView:
    schools = schools_of(ctx)
    problems = _problems(ctx, schools)
    plan, plan_omitted = action_plan(ctx, schools)
    flagged: dict[str, list[str]] = defaultdict(list)
    for f in ctx.evaluation.get("findings") or []:
        sid = f.get("school_id")
        if sid and f.get("rule") not in flagged[str(sid)]:
            flagged[str(sid)].append(str(f.get("rule")))
    figures = report_charts(ctx, schools)
    return ReportView(
        title=f"Equity compliance findings: {ctx.district_name}, {ctx.cycle}",
        ctx=ctx,
        cover=_cover(ctx),
        summary=summary(ctx, schools, problems),
        charts=figures,
        areas=_areas(ctx, rule_sections(ctx, schools, plan), problems, figures),
        problems=problems,
        methodology=_methodology(ctx, schools),
        data=data_appendix(ctx, schools, flagged),
        decision=_decision(ctx),
        comments=_comments(ctx, schools),
        first_page=decision_page(ctx, plan),
        plan=plan,
        plan_omitted=plan_omitted,
        colophon=_colophon(ctx),
        proposal=proposal(ctx),
        worksheet=worksheet(ctx),
        context=context_view(ctx),
    )
