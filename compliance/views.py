"""Pages for district staff and state reviewers.

Thin: every write goes through ``compliance.services`` and every permission-aware read
through ``compliance.selectors``. Objects a user may not see are 404, never 403, so a URL
does not reveal that another district's submission exists.
"""
from __future__ import annotations

import functools
import io
from collections import Counter
from typing import Any, Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from districts.models import Role

from . import selectors, services
from .filters import FINDING_SEVERITIES, FindingFilter, ProblemFilter, ReviewQueueFilter
from .forms import CertifyForm, CommentForm, DecideForm, FindingReviewForm, ReleaseForm, ReturnForm, UploadForm
from .models import EvaluationOutcome, Finding, ReportKind, ReviewStatus, Submission
from .models import SubmissionStatus as S
from .reports import formatting as fmt
from .reports.build import RULE_NAMES, EvidenceFormatter, threshold_text

PENDING = frozenset({S.RECEIVED, S.QUEUED, S.VALIDATING})
REVIEWER_ROLES = frozenset({Role.STATE_REVIEWER, Role.STATE_SUPERVISOR})
AREAS = {"INT": "Integration", "RES": "Resources"}

def _ratio(value: Any) -> str:
    return fmt.number(value, 2)


def _whole_pct(value: Any) -> str:
    return fmt.pct(value, 0)


# (label, path into a measures block, formatter) in the order reviewers read them.
KEY_MEASURES: tuple[tuple[str, tuple[str, ...], Callable[[Any], str]], ...] = (
    ("Multigroup dissimilarity", ("dissimilarity", "multigroup"), fmt.index),
    ("Dissimilarity, Black and white students", ("dissimilarity", "black_white"), fmt.index),
    ("Dissimilarity, Hispanic and white students", ("dissimilarity", "hispanic_white"), fmt.index),
    ("Dissimilarity, students of color and white students", ("dissimilarity", "students_of_color_white"), fmt.index),
    ("Dissimilarity, economically disadvantaged and not", ("dissimilarity", "ed_not_ed"), fmt.index),
    ("Theil's H (entropy index)", ("theil_h",), fmt.index),
    ("Isolation of Black students", ("isolation", "black"), fmt.index),
    ("Isolation of Hispanic students", ("isolation", "hispanic"), fmt.index),
    ("Isolation of students of color", ("isolation", "students_of_color"), fmt.index),
    ("Isolation of economically disadvantaged students", ("isolation", "ed"), fmt.index),
    ("Spending per pupil, state and local (pupil-weighted mean)", ("resources", "ppe_mean"), fmt.money),
    ("Spending, coefficient of variation", ("resources", "cv"), fmt.index),
    ("Spending, McLoone index", ("resources", "mcloone"), fmt.index),
    ("Spending, federal range ratio", ("resources", "federal_range_ratio"), fmt.index),
    ("Progressivity (highest- over lowest-poverty quartile spending)", ("resources", "progressivity"), _ratio),
    ("Inexperienced-teacher gap, poverty quartiles", ("resources", "inexperienced_gap_poverty"), fmt.points),
    ("Enrolled students", ("enrollment_total",), fmt.number),
    ("Schools with enrollment", ("schools",), fmt.number),
)
BANDS = ("elementary", "middle", "high")

# Per rule: the evidence a reviewer compares (key, column header) and the standard it was
# held to ("{key}" placeholders; a part whose keys the evidence lacks is left out). Values
# are formatted as in the PDF report (build.EvidenceFormatter) unless FORMAT_OVERRIDES says.
RULE_COLUMNS: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {
    "INT-01": ((("group", "Group"), ("school_share", "School share"), ("band_share", "Grade band share"),
                ("difference", "Difference")), ("within {band}", "within {tolerance}")),
    "INT-02": ((("group", "Group"), ("school_share", "School share")), ("below {threshold}",)),
    "INT-03": ((("school_share", "ED share, school"), ("band_share", "ED share, grade band"),
                ("difference", "Difference")), ("within {band}", "within {tolerance}")),
    "INT-04": ((("index", "Index"), ("value", "Value"), ("level", "Reading")),
               ("warning from {warning_at}", "finding from {finding_at}")),
    "INT-05": ((("measure", "Measure"), ("current", "Current"), ("proposed", "Proposed"), ("change", "Change")),
               ("tolerance {tolerance}",)),
    "INT-06": ((("admitted_ed_share", "ED share admitted"), ("target_ed_share", "Target ED share"),
                ("difference", "Difference"), ("empty_seats", "Empty seats"),
                ("unadmitted_ed", "ED applicants not admitted")),
               ("within {tolerance}", "at most {max_empty_seats} empty seats")),
    "RES-01": ((("students_per_teacher", "Students per teacher"),
                ("comparison_pooled_students_per_teacher", "Non-Title I, pooled"),
                ("additional_fte_needed", "Teacher FTE to add")),
               ("at most {threshold} ({limit})",)),
    "RES-02": ((("ppe_state_local", "Spending per pupil"), ("comparison_pooled_ppe", "Non-Title I, pooled"),
                ("additional_dollars_needed", "Dollars to add")),
               ("at least {threshold} ({limit})",)),
    "RES-03": ((("ppe_highest_poverty_quartile", "Highest-poverty quartile"),
                ("ppe_lowest_poverty_quartile", "Lowest-poverty quartile"), ("progressivity", "Ratio"),
                ("dollars_to_move", "Dollars to move")),
               ("ratio at least {min_ratio}",)),
    "RES-04": ((("quartiles_by", "Quartiles by"),
                ("inexperienced_rate_highest_quartile", "Inexperienced, highest quartile"),
                ("inexperienced_rate_lowest_quartile", "Inexperienced, lowest quartile"), ("gap", "Gap")),
               ("gap at most {max_gap}",)),
    "RES-05": ((("cv", "CV"), ("mcloone", "McLoone"), ("federal_range_ratio", "Federal range ratio")),
               ("CV at most {max_cv}", "McLoone at least {min_mcloone}", "range ratio at most {max_range_ratio}")),
}
FORMAT_OVERRIDES: dict[tuple[str, str], Callable[[Any], str]] = {
    ("RES-01", "students_per_teacher"): _ratio,
    ("RES-01", "comparison_pooled_students_per_teacher"): _ratio,
    ("RES-01", "threshold"): _ratio,
    ("RES-01", "limit"): _whole_pct,
    ("RES-02", "limit"): _whole_pct,
    ("RES-03", "progressivity"): _ratio,
    ("RES-03", "min_ratio"): _ratio,
    ("INT-06", "max_empty_seats"): fmt.number,  # a count of seats, not a share
    ("INT-06", "empty_seats"): fmt.number,
}
# Which students a rule is about when its evidence does not say (as the PDF report has it).
DEFAULT_GROUPS = {"INT-01": "students_of_color", "INT-02": "students_of_color", "INT-03": "econ_disadvantaged"}
FALLBACK_COLUMNS_MAX = 4


def login_required(view):
    """Django's login_required, except that an htmx request (a poll after the session ended)
    gets a full-page redirect instead of the login page swapped into a fragment."""
    wrapped = django_login_required(view)

    @functools.wraps(view)
    def inner(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.htmx and not request.user.is_authenticated:
            login = redirect_to_login(request.htmx.current_url_abs_path or request.get_full_path())
            return HttpResponseClientRedirect(login["Location"])
        return wrapped(request, *args, **kwargs)

    return inner


def _visible_submission(request: HttpRequest, pk: int) -> Submission:
    return get_object_or_404(selectors.submissions_visible_to(user=request.user), pk=pk)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "That is not allowed."


# --- Home ------------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "compliance/home.html", _home_context(request))


def _home_context(request: HttpRequest, upload_forms: dict[int, UploadForm] | None = None) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {"cycle": selectors.reporting_cycle_current(), "today": timezone.localdate()}
    if context["cycle"] is not None:
        context["days_left"] = (context["cycle"].due_on - context["today"]).days
        context["days_overdue"] = -context["days_left"]
    if user.is_district_user:
        upload_forms = upload_forms or {}
        submissions = (
            selectors.submissions_visible_to(user=user)
            .prefetch_related(selectors.evaluation_counts_prefetch())
            .order_by("district__name", "-cycle__school_year", "-version")
        )
        by_district: dict[int, list[Submission]] = {}
        for sub in submissions:
            sub.latest_counts = sub.evaluations_with_counts[0] if sub.evaluations_with_counts else None
            by_district.setdefault(sub.district_id, []).append(sub)
        context["districts"] = [
            {
                "district": d,
                "submissions": by_district.get(d.pk, []),
                "upload_form": upload_forms.get(d.pk) or UploadForm(auto_id=f"id_%s_{d.pk}"),
            }
            for d in selectors.districts_visible_to(user=user)
        ]
    elif user.is_state_staff or user.is_superuser:
        queue_filter = ReviewQueueFilter(
            request.GET or None,
            queryset=selectors.submissions_visible_to(user=user),
            districts=selectors.districts_visible_to(user=user),
        )
        context["queue_filter"] = queue_filter
        context["queue"] = queue_filter.qs if queue_filter.is_bound else selectors.review_queue(user=user)
        context["my_reviews"] = selectors.my_reviews(user=user)
        context["can_claim"] = user.role in REVIEWER_ROLES
    return context


@login_required
@require_POST
def submission_upload(request: HttpRequest, district_pk: int) -> HttpResponse:
    district = get_object_or_404(selectors.districts_visible_to(user=request.user), pk=district_pk)
    cycle = selectors.reporting_cycle_current()
    if cycle is None:
        # The home page shows no upload form then, so say it as a message.
        messages.error(request, "No reporting cycle is open for submissions.")
        return redirect("home")
    form = UploadForm(request.POST, request.FILES, auto_id=f"id_%s_{district.pk}")
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            submission = services.submission_create(
                district=district, cycle=cycle, uploaded_by=request.user, fileobj=upload, filename=upload.name
            )
        except ValidationError as exc:
            form.add_error("file", _error_text(exc))
        else:
            messages.success(
                request, f"Version {submission.version} was received. It is being checked; this page updates itself."
            )
            return redirect("submission_detail", pk=submission.pk)
    return render(request, "compliance/home.html", _home_context(request, {district.pk: form}))


@login_required
@require_GET
def template_download(request: HttpRequest, pk: int) -> HttpResponse:
    from .workbook.template import build_template

    district = get_object_or_404(selectors.districts_visible_to(user=request.user), pk=pk)
    cycle = selectors.reporting_cycle_current() or selectors.reporting_cycle_latest()
    out = io.BytesIO()
    build_template(
        out,
        district_id=district.state_id,
        district_name=district.name,
        school_year=cycle.school_year if cycle else None,
        schools=[(s.school_id, s.name) for s in district.schools.all()],
    )
    out.seek(0)
    year = f"-{cycle.school_year}" if cycle else ""
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"equity-workbook-{district.state_id}{year}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- Submission detail ---------------------------------------------------------------------


def _measure(measures: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = measures
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _measures_table(measures: dict[str, Any]) -> dict[str, Any]:
    """Key measures: the district column, then one per grade band the evaluation has."""
    bands = [b for b in BANDS if ((measures.get("bands") or {}).get(b))]
    blocks = [measures.get("district") or {}] + [measures["bands"][b] for b in bands]
    return {
        "columns": ["District"] + [fmt.band_label(b).split(" (")[0] for b in bands],
        "rows": [(label, [show(_measure(block, path)) for block in blocks]) for label, path, show in KEY_MEASURES],
    }


def _problem_summary(errors: int, warnings: int) -> str:
    parts = []
    if errors:
        parts.append(
            f"{errors} error{'s' if errors != 1 else ''} must be fixed before the state can review this"
        )
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return "; ".join(parts) if parts else "No data problems."


def _actions(user, submission: Submission) -> dict[str, bool]:
    reviewer_here = (
        user.role in REVIEWER_ROLES
        and submission.status == S.IN_REVIEW
        and (submission.reviewer_id == user.pk or user.role == Role.STATE_SUPERVISOR)
    )
    return {
        "certify": user.role == Role.DISTRICT_CERTIFIER
        and submission.status == S.EVALUATED
        and user.districts.filter(pk=submission.district_id).exists(),
        "claim": user.role in REVIEWER_ROLES and submission.status == S.CERTIFIED,
        "review": reviewer_here,
    }


# --- Findings as a reviewer reads them ---


def _rule_order(code: str) -> tuple[int, str]:
    return ({"INT": 0, "RES": 1}.get(code.split("-")[0], 2), code)


def _evidence_texts(code: str, evidence: dict[str, Any], names: dict[str, str]):
    """(key -> text, measure rows, threshold rows, record rows) of one finding's evidence.

    Not suppressed: reviewers and the district's own staff see the real numbers; the public
    PDF is where small cells are hidden.
    """
    ev = EvidenceFormatter(None, 0, DEFAULT_GROUPS.get(code), suppress=False, names=names)
    values, thresholds = ev.rows(evidence)
    by_label = dict(values + thresholds)
    texts: dict[str, str] = {}
    for key, value in evidence.items():
        override = FORMAT_OVERRIDES.get((code, key))
        if override is not None:
            texts[key] = override(value)
        elif fmt.humanize(key) in by_label:
            texts[key] = by_label[fmt.humanize(key)]
    return texts, values, thresholds, ev.records(evidence)


def _rule_layout(code: str, findings: list[Finding], names: dict[str, str]) -> dict[str, Any]:
    """The columns of a rule's table, from all its findings (not only the filtered ones), so a
    row swapped in by htmx lines up with the others.

    A column with one value for every finding of a rule (the group, the standard) is said
    once above the table instead of in every row.
    """
    texts = []
    for f in findings:
        evidence = f.evidence if isinstance(f.evidence, dict) else {}
        t, _, thresholds, _ = _evidence_texts(code, evidence, names)
        t["_standard"] = _standard(code, t, thresholds)
        texts.append(t)
    if code in RULE_COLUMNS:
        candidates = [(k, label) for k, label in RULE_COLUMNS[code][0] if any(k in t for t in texts)]
    else:
        keys = list(dict.fromkeys(
            k for f in findings if isinstance(f.evidence, dict) for k, v in f.evidence.items()
            if isinstance(v, (int, float, str)) and not isinstance(v, bool) and k not in ("school_id", "school_name")
        ))
        candidates = [(k, fmt.humanize(k)) for k in keys[:FALLBACK_COLUMNS_MAX]]
    columns, constants = [], []
    for key, label in [*candidates, ("_standard", "Standard")]:
        values = [t.get(key, "\u2014") for t in texts]
        numeric = all(v[:1] in "0123456789$\u2212+\u00b1" for v in values if v != "\u2014")
        # Only words (a group, a standard) are hoisted: equal numbers are a coincidence to show.
        if len(texts) > 1 and len(set(values)) == 1 and (not numeric or key == "_standard"):
            constants.append((label, values[0]))
        elif key != "_standard":
            columns.append((key, label, numeric))
    return {
        "columns": columns,
        "constants": constants,
        "show_standard": not any(label == "Standard" for label, _ in constants),
        "show_band": any(f.school_id for f in findings),
    }


def _standard(code: str, texts: dict[str, str], thresholds: list[tuple[str, str]]) -> str:
    """The standard a finding was held to, in words; else its threshold rows as they are."""
    parts = []
    for template in RULE_COLUMNS.get(code, ((), ()))[1]:
        try:
            parts.append(template.format_map(texts))
        except KeyError:
            continue
    if not parts:
        parts = [f"{label.lower()} {value}" for label, value in thresholds
                 if label != "Single group min band share"]
    return "; ".join(parts) or "\u2014"


def _scope_label(finding: Finding, names: dict[str, str]) -> str:
    if finding.school_id:
        name = names.get(finding.school_id)
        return f"{name} ({finding.school_id})" if name else f"School {finding.school_id}"
    if finding.band:
        return f"{fmt.band_label(finding.band).split(' (')[0]} schools"
    return "District"


def _finding_context(finding: Finding, *, layout: dict[str, Any], names: dict[str, str], can_review: bool,
                     form: FindingReviewForm | None = None) -> dict[str, Any]:
    """One finding as a table row (a <tbody> the htmx review swaps) and its details."""
    evidence = finding.evidence if isinstance(finding.evidence, dict) else {}
    texts, values, thresholds, records = _evidence_texts(finding.rule, evidence, names)
    # As in the PDF: INT-01's single-group cut-off is in the rule text already, and the
    # headline group need not come again among "every group outside the standard".
    thresholds = [t for t in thresholds if t[0] != "Single group min band share"]
    headline = dict(values)
    records = [r for r in records if any(headline.get(k) != v for k, v in r)]
    record_columns = list(dict.fromkeys(label for record in records for label, _ in record))
    return {
        "finding": finding,
        "scope": _scope_label(finding, names),
        "band": fmt.band_label(finding.band).split(" (")[0] if finding.band else "District",
        "show_band": layout["show_band"],
        "cells": [(texts.get(key, "\u2014"), numeric) for key, _, numeric in layout["columns"]],
        "show_standard": layout["show_standard"],
        "standard": _standard(finding.rule, texts, thresholds),
        "severity": FINDING_SEVERITIES.get(finding.severity, finding.severity.capitalize()),
        "evidence_rows": values + thresholds,
        "record_columns": record_columns,
        "records": [[dict(record).get(c, "") for c in record_columns] for record in records],
        "can_review": can_review,
        "form": form or FindingReviewForm(auto_id=f"id_%s_f{finding.pk}"),
        "span": 1 + layout["show_band"] + len(layout["columns"]) + layout["show_standard"] + 2 + can_review,
    }


def _split_body(body: str) -> tuple[str, str]:
    """(the general advice, the finding's own estimate sentence), split at "Estimate:"."""
    head, sep, tail = body.partition("Estimate:")
    tail = tail.strip()
    return head.strip(), (tail[:1].upper() + tail[1:]) if sep else ""


def _estimate_text(estimate: Any, ev: EvidenceFormatter) -> str:
    if not isinstance(estimate, dict):
        return ""
    return "; ".join(
        f"{fmt.humanize(k)}: {ev.value(k, v)}" for k, v in estimate.items()
        if k not in ("method", "school_id", "band") and (v is None or isinstance(v, (int, float, str)))
    )


def _recommendation_blocks(items: list[tuple[str, dict[str, Any]]], names: dict[str, str]) -> list[dict[str, Any]]:
    """A rule group's recommendations, each once: its title and advice, then the estimates
    that differ between findings, each with the schools (or bands) it is for."""
    ev = EvidenceFormatter(None, 0, suppress=False, names=names)
    blocks: dict[str, dict[str, Any]] = {}
    for label, rec in items:
        title = str(rec.get("title") or fmt.humanize(str(rec.get("key") or "recommendation")))
        block = blocks.setdefault(str(rec.get("key") or title), {
            "title": title, "paragraphs": [], "estimates": {}, "labels": [],
            "sources": [{"text": str(x), "url": str(x).startswith(("https://", "http://"))}
                        for x in rec.get("sources") or []],
        })
        general, specific = _split_body(str(rec.get("body") or ""))
        if general and general not in block["paragraphs"]:
            block["paragraphs"].append(general)
        specific = specific or _estimate_text(rec.get("estimate"), ev)
        if specific:
            block["estimates"].setdefault(specific, [])
            if label not in block["estimates"][specific]:
                block["estimates"][specific].append(label)
        if label not in block["labels"]:
            block["labels"].append(label)
    for block in blocks.values():
        block["estimates"] = [{"for": ", ".join(labels), "text": text} for text, labels in block["estimates"].items()]
    return list(blocks.values())


def _review_summary(findings: list[Finding]) -> list[str]:
    """"39 integration findings: 12 confirmed, 2 dismissed, 25 not yet reviewed", per area."""
    lines = []
    by_area: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: _rule_order(f.rule)):
        by_area.setdefault(AREAS.get(f.rule.split("-")[0], "Other"), []).append(f)
    for area, items in by_area.items():
        counts = Counter(f.review_status for f in items)
        lines.append(
            f"{len(items)} {area.lower()} finding{'s' if len(items) != 1 else ''}: "
            + ", ".join(f"{counts[s]} {label.lower()}" for s, label in
                        ((ReviewStatus.CONFIRMED, "confirmed"), (ReviewStatus.DISMISSED, "dismissed"),
                         (ReviewStatus.OPEN, "not yet reviewed")))
        )
    return lines


def _finding_groups(all_findings: list[Finding], shown: list[Finding], names: dict[str, str], params: dict[str, Any],
                    can_review: bool) -> list[dict[str, Any]]:
    """Shown findings by area, then by rule (INT-01 ... RES-05, then any other code)."""
    by_rule: dict[str, list[Finding]] = {}
    for f in all_findings:
        by_rule.setdefault(f.rule, []).append(f)
    shown_by_rule: dict[str, list[Finding]] = {}
    for f in shown:
        shown_by_rule.setdefault(f.rule, []).append(f)
    areas: dict[str, dict[str, Any]] = {}
    for code in sorted(shown_by_rule, key=_rule_order):
        layout = _rule_layout(code, by_rule[code], names)
        rows = [_finding_context(f, layout=layout, names=names, can_review=can_review) for f in shown_by_rule[code]]
        area_name = AREAS.get(code.split("-")[0], "Other")
        area = areas.setdefault(area_name, {"name": area_name, "count": 0, "rules": []})
        area["count"] += len(rows)
        area["rules"].append({
            "code": code,
            "name": RULE_NAMES.get(code, code),
            "anchor": "rule-" + code.lower(),
            "standard": threshold_text(code, params) if params else "",
            "columns": [(label, numeric) for _, label, numeric in layout["columns"]],
            # The rule text already states the standard: then only the other shared values.
            "constants": [(label, value) for label, value in layout["constants"]
                          if not (label == "Standard" and params and threshold_text(code, params))],
            "show_band": layout["show_band"],
            "show_standard": layout["show_standard"],
            "first": "School" if layout["show_band"] else "Scope",
            "rows": rows,
            "recommendations": _recommendation_blocks(
                [(row["scope"], rec) for row in rows for rec in (row["finding"].recommendations or [])
                 if isinstance(rec, dict)], names),
        })
    return list(areas.values())


def _finding_row(finding: Finding, user) -> dict[str, Any]:
    """The context of one finding's row on its own (the htmx fragment), laid out as on the page."""
    evaluation = finding.evaluation
    same_rule = list(selectors.findings_of(evaluation=evaluation).filter(rule=finding.rule))
    names = selectors.school_names(evaluation=evaluation)
    return {
        "layout": _rule_layout(finding.rule, same_rule, names),
        "names": names,
        "can_review": _actions(user, evaluation.submission)["review"],
    }


def _status_label(value: str) -> str:
    return S(value).label if value in S.values else value


def _event_label(event) -> str:
    action = event.action.replace("status:", "").replace("_", " ")
    if event.from_status != event.to_status:
        return f"{action.capitalize()}: {_status_label(event.from_status) if event.from_status else 'new'} to {_status_label(event.to_status)}"
    return action.capitalize()


@login_required
@require_GET
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    evaluation = submission.latest_evaluation
    actions = _actions(request.user, submission)
    events = list(submission.audit_events.select_related("actor"))
    context: dict[str, Any] = {
        "container_class": "container wide",  # the findings tables need the width
        "submission": submission,
        "evaluation": evaluation,
        # One line per finding review would bury the submission's own history: they fold away.
        "events": [(e, _event_label(e)) for e in events if not e.action.startswith("finding_")],
        "review_events": [(e, _event_label(e)) for e in events if e.action.startswith("finding_")],
        "comments": submission.comments.select_related("author", "finding"),
        "actions": actions,
        "pending": submission.status in PENDING,
        "certify_form": CertifyForm(),
        "comment_form": CommentForm(),
        "return_form": ReturnForm(auto_id="id_return_%s"),
        "decide_form": DecideForm(auto_id="id_decide_%s"),
        "release_form": ReleaseForm(auto_id="id_release_%s"),
        "reports": selectors.reports_newest_by_kind(submission=submission),
    }
    if submission.status == S.RETURNED:
        context["return_note"] = selectors.return_note(submission=submission)
    if hasattr(submission, "decision"):
        context["decision"] = submission.decision
    if evaluation is not None:
        problems = evaluation.problems.all()
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = sum(1 for p in problems if p.severity == "warning")
        context["problem_filter"] = ProblemFilter(request.GET or None, queryset=problems)
        context["problem_count"] = errors + warnings
        context["problem_summary"] = _problem_summary(errors, warnings)
        if evaluation.outcome == EvaluationOutcome.ACCEPTED:
            all_findings = list(selectors.findings_of(evaluation=evaluation))
            finding_filter = FindingFilter(
                request.GET or None, queryset=selectors.findings_of(evaluation=evaluation), rule_names=RULE_NAMES
            )
            shown = list(finding_filter.qs)
            names = selectors.school_names(evaluation=evaluation)
            context["finding_filter"] = finding_filter
            context["findings_total"] = len(all_findings)
            context["findings_shown"] = len(shown)
            context["review_summary"] = _review_summary(all_findings)
            context["finding_areas"] = _finding_groups(
                all_findings, shown, names, evaluation.rule_set.params or {}, actions["review"]
            )
            context["measures"] = _measures_table(evaluation.measures or {})
    return render(request, "compliance/submission_detail.html", context)


@login_required
@require_GET
def submission_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled status fragment; once checking ends the client reloads the full page."""
    submission = _visible_submission(request, pk)
    response = render(
        request, "compliance/_status.html", {"submission": submission, "pending": submission.status in PENDING}
    )
    if request.htmx and submission.status not in PENDING:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def report_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    submission = _visible_submission(request, pk)
    if kind not in ReportKind.values:
        raise Http404("No such report.")
    report = selectors.report_newest(submission=submission, kind=kind)
    if report is None:
        raise Http404("No such report.")
    name = f"{submission.district.state_id}-{submission.cycle.school_year}-v{submission.version}-{kind}.pdf"
    return FileResponse(report.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf")


# --- Writes ----------------------------------------------------------------------------------


def _run(request: HttpRequest, submission: Submission, action, success: str) -> HttpResponse:
    """Call a service; show its refusal as a message. PermissionDenied propagates to 403."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except services.IllegalTransition:
        messages.error(request, "Someone else changed this submission first. Check its status and try again.")
    else:
        messages.success(request, success)
    return redirect("submission_detail", pk=submission.pk)


def _form_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@login_required
@require_POST
def submission_certify(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = CertifyForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("submission_detail", pk=submission.pk)
    return _run(
        request, submission,
        lambda: services.submission_certify(submission=submission, user=request.user),
        "Certified and submitted to the state.",
    )


@login_required
@require_POST
def submission_claim(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    return _run(
        request, submission,
        lambda: services.submission_claim(submission=submission, user=request.user),
        "You claimed this submission; it is in your reviews.",
    )


@login_required
@require_POST
def submission_release(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = ReleaseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _run(
        request, submission,
        lambda: services.submission_release(submission=submission, user=request.user, note=note),
        "Released back to the review queue.",
    )


@login_required
@require_POST
def submission_return(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = ReturnForm(request.POST)
    form.is_valid()
    # The service checks the role before the note, so the wrong role gets 403, not a reminder.
    return _run(
        request, submission,
        lambda: services.submission_return(submission=submission, user=request.user,
                                           note=form.cleaned_data.get("note", "")),
        "Returned to the district for revision.",
    )


@login_required
@require_POST
def submission_decide(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = DecideForm(request.POST)
    form.is_valid()
    return _run(
        request, submission,
        lambda: services.submission_decide(
            submission=submission, user=request.user,
            outcome=form.cleaned_data.get("outcome", ""), note=form.cleaned_data.get("note", ""),
        ),
        "Decision recorded. The decision report is being prepared.",
    )


@login_required
@require_POST
def comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = CommentForm(request.POST)
    form.is_valid()
    return _run(
        request, submission,
        lambda: services.comment_create(submission=submission, user=request.user,
                                        body=form.cleaned_data.get("body", "")),
        "Comment added.",
    )


@login_required
@require_POST
def finding_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm or dismiss one finding. htmx gets just the finding's fragment back."""
    finding = selectors.finding_visible_to(user=request.user, pk=pk)
    if finding is None:
        raise Http404("No such finding.")
    submission = finding.evaluation.submission
    form = FindingReviewForm(request.POST, auto_id=f"id_%s_f{finding.pk}")
    error, status = "", 200
    if form.is_valid():
        try:
            services.finding_review(
                finding=finding, user=request.user, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            error = _error_text(exc)
        except PermissionDenied as exc:
            if not request.htmx:
                raise
            # base.html tells htmx to swap 403s, so the refusal shows in the finding itself.
            error, status = _error_text(exc), 403
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)

    if request.htmx:
        finding.refresh_from_db()
        context = _finding_context(finding, **_finding_row(finding, request.user), form=form if error else None)
        context["error"] = error
        context["saved"] = not error
        return render(request, "compliance/_finding.html", context, status=status)
    if error:
        messages.error(request, f"{finding.rule}: {error}")
    else:
        label = ReviewStatus(form.cleaned_data["status"]).label.lower()
        messages.success(request, f"{finding.rule} {label}.")
    return redirect("submission_detail", pk=submission.pk)
