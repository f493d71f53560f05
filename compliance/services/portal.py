"""What the district portal shows: the next step per district, and a submission's certification and messages."""
from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.utils.formats import date_format

from compliance import notifications, permissions, selectors, states
from compliance.models import ActionStatus, Evaluation, Report, ReportKind, Submission
from compliance.presenters import KEY_MEASURES
from compliance.reports.view_schools import get
from compliance.selectors_review import status_shown_to
from compliance.states import SubmissionStatus as S
from districts.models import District

from .report_attempts import report_given_up
from .submissions import attestation_text, uploads_closed_reason
from .sweeper import reports_expected


def portal_detail_context(*, submission: Submission, user) -> dict[str, Any]:
    """Context for the district parts of the submission page (read-only)."""
    context: dict[str, Any] = {
        "attestation": attestation_text(submission.cycle),
        "certification": getattr(submission, "certification", None),
        "comparison": version_comparison(submission=submission),
        "counts": selectors.submission_counts_one(submission=submission),
        **live_status(submission=submission),
        # The state's required actions stay on the returned version, whatever came after it.
        "returned_note": selectors.return_note(submission=submission),
    }
    # The district's own messages: its people and state staff see them, as they see the page.
    if permissions.can_view_submission(user, submission):
        context["notifications"] = list(notifications.notifications_for(submission=submission)[:50])
    context["can_upload_now"] = permissions.can_upload_now(user, submission)
    return context


# --- Whether the district may upload a new version now ----------------------------------------

NO_OPEN_CYCLE = "No reporting cycle is open for submissions right now."


def uploads_closed_now(*, submissions: list[Submission], cycle) -> str | None:
    """Why the district may not upload a new version now, else None: no open cycle (``NO_OPEN_CYCLE``), or its
    newest version of the open cycle is with the state or decided (``uploads_closed_reason``). The home page and
    the upload page offer the upload form only when this is None and show the reason otherwise;
    ``permissions.can_upload_now`` (a version's page linking to the upload page) adds who asks.
    Not everything the upload refuses: ``services.submission_create`` also refuses someone who may not submit
    for the district (``permissions.upload_refusal``) and, while an earlier version is still being checked,
    any new version (``_refuse_while_busy``: wait a moment), so an offered form may still be refused then.
    ``submissions``: the district's, of any cycle; ``cycle``: the open one."""
    if cycle is None:
        return NO_OPEN_CYCLE
    return uploads_closed_reason([s for s in submissions if s.cycle_id == cycle.pk])


# --- What to do next (home page, per district) ---------------------------------------------


def _newest_in(submissions: list[Submission], cycle) -> Submission | None:
    mine = [s for s in submissions if cycle is not None and s.cycle_id == cycle.pk]
    return max(mine, key=lambda s: s.version, default=None)


def _errors_of(submission: Submission) -> int:
    # Asked only of a rejected submission, and only a finished evaluation rejects one.
    counts = submission.counts if hasattr(submission, "counts") else selectors.submission_counts_one(
        submission=submission)
    return counts.errors if counts is not None else 0


def _evaluated_action(user, newest: Submission) -> dict[str, Any]:
    if permissions.can_certify(user, newest):
        return {"kind": "certify", "text": f"Certify version {newest.version}: read the draft report, then "
                                           "certify it with your name and title.", "submission": newest}
    return {"kind": "ask_certifier", "submission": newest,
            "text": f"Ask your district's certifier to certify version {newest.version}."}


def next_action(*, user, submissions: list[Submission], cycle) -> dict[str, Any]:
    """The one next step for this user and district in the open cycle, in words, with its submission."""
    newest = _newest_in(submissions, cycle)
    if cycle is None:
        return {"kind": "none", "text": "Nothing to do until the state opens a reporting cycle."}
    if newest is None:
        return {"kind": "upload", "text": "Upload the filled-in workbook (download the template below)."}
    status = status_shown_to(user, status=newest.status)  # a proposal waiting for sign-off is still state review
    if status in states.PENDING:
        return {"kind": "wait", "submission": newest, "text": f"Version {newest.version} is being checked; "
                                                              "you will get an e-mail when it is done."}
    if status == S.REJECTED:
        n = _errors_of(newest)
        return {"kind": "fix", "submission": newest,
                "text": f"Fix {n} error{'s' if n != 1 else ''} in version {newest.version} and upload it again."}
    if status == S.FAILED:
        return {"kind": "upload", "submission": newest, "text": "The check failed (a system error): upload again."}
    if status == S.EVALUATED:
        return _evaluated_action(user, newest)
    if status == S.RETURNED:
        return {"kind": "respond", "submission": newest, "required_actions": selectors.return_note(submission=newest),
                "text": "Respond to the state's return: make the required actions below and upload a new version."}
    if status == S.DECIDED:
        return _decided_action(newest)
    return {"kind": "wait", "submission": newest,
            "text": f"Nothing to do now: version {newest.version} is with the state for review."}


def _decided_action(submission: Submission) -> dict[str, Any]:
    """After a decision: the corrective action plan while any action waits on the district, else done."""
    waiting = list(submission.corrective_actions.filter(status__in=(ActionStatus.OPEN, ActionStatus.ASKED_AGAIN))
                   .order_by("due_on", "pk").values_list("due_on", flat=True))
    if not waiting:
        return {"kind": "done", "submission": submission, "text": "The state has decided: read the decision report."}
    n = len(waiting)
    return {"kind": "plan", "submission": submission,
            "text": f"Answer the corrective action plan: {n} action{'s' if n != 1 else ''} waiting on you, "
                    f"the next due {date_format(waiting[0], 'j F Y')}."}


# --- Versions compared (a new upload against the version it replaces) -----------------------


def replaced_version(submission: Submission) -> Submission | None:
    """The district's previous version in this cycle: the one this upload replaced."""
    return (Submission.objects.filter(district_id=submission.district_id, cycle_id=submission.cycle_id,
                                      version__lt=submission.version).order_by("-version").first())


def _finding_keys(submission: Submission) -> dict[tuple[str, str], str] | None:
    """(rule, school or band or "district") -> message, for the accepted findings and warnings."""
    evaluation = selectors.evaluation_accepted_latest(submission=submission)
    if evaluation is None:
        return None
    return {(f.rule, f.school_id or f.band or "district"): f.message
            for f in evaluation.findings.exclude(severity="info").order_by("rule", "school_id", "band")}


def _measures_before_after(previous: Submission, current: Submission) -> list[tuple[str, str, str]]:
    before_ev = selectors.evaluation_accepted_latest(submission=previous)
    after_ev = selectors.evaluation_accepted_latest(submission=current)
    before = (before_ev.measures or {}).get("district") or {} if before_ev else {}
    after = (after_ev.measures or {}).get("district") or {} if after_ev else {}
    return [(label, show(get(before, *path)), show(get(after, *path))) for label, path, show in KEY_MEASURES]


def version_comparison(*, submission: Submission) -> dict[str, Any] | None:
    """Findings added, resolved and unchanged (matched by rule and school) and district measures
    before and after, against the version this one replaced; None for a first version."""
    previous = replaced_version(submission)
    if previous is None:
        return None
    comparison: dict[str, Any] = {"previous": previous, "return_note": selectors.return_note(submission=previous)}
    old, new = _finding_keys(previous), _finding_keys(submission)
    comparison["previous_evaluated"] = old is not None
    if old is not None and new is not None:
        comparison["added"] = sorted(k for k in new if k not in old)
        comparison["resolved"] = sorted(k for k in old if k not in new)
        comparison["unchanged"] = sorted(k for k in new if k in old)
        comparison["measures"] = _measures_before_after(previous, submission)
    return comparison


# --- Live status to the end ------------------------------------------------------------------


def live_status(*, submission: Submission) -> dict[str, Any]:
    """What the self-updating status says: checking, report being prepared (or failed), and the usual times."""
    context: dict[str, Any] = {"pending": submission.status in states.PENDING,
                               "report_pending": report_pending(submission=submission),
                               "report_failed": report_failed(submission=submission)}
    if context["pending"] or context["report_pending"]:
        context["usual"] = usual_durations(district=submission.district)
    return context


# How a PDF report of a submission stands: the API's SubmissionOut says it, and its report.pdf answers by it.
REPORT_READY = "ready"  # stored: the download answers it
REPORT_PENDING = "pending"  # not stored yet and on its way (the workbook being checked, or the PDF rendered)
REPORT_FAILED = "failed"  # its renders failed REPORT_MAX_ATTEMPTS times: it waits for an administrator
REPORT_NONE = "none"  # none now and none on its way (rejected, failed, superseded, or no decision yet)
REPORT_STATES = (REPORT_READY, REPORT_PENDING, REPORT_FAILED, REPORT_NONE)


def report_readiness(*, submission: Submission, kind: str) -> str:
    """Whether the newest ``kind`` PDF of the submission can be downloaded, and if not, whether it is coming.

    Ready is what the download serves (``selectors.report_newest``). Otherwise pending while its
    workbook is being checked (a findings report follows a passing check), or while a report its
    status should have (``sweeper.reports_expected``: the findings report from evaluated on, the
    decision report once decided) is still being tried; failed once the sweep gave up on it.
    """
    if selectors.report_newest(submission=submission, kind=kind) is not None:
        return REPORT_READY
    if kind == ReportKind.EVALUATION and submission.status in states.PENDING:
        return REPORT_PENDING
    if kind not in reports_expected(submission.status):
        return REPORT_NONE
    evaluation = selectors.evaluation_accepted_latest(submission=submission)
    if evaluation is None:
        return REPORT_NONE
    return REPORT_FAILED if report_given_up(evaluation=evaluation) else REPORT_PENDING


def report_pending(*, submission: Submission) -> bool:
    """Its findings report is not stored yet and is still being tried: the page keeps following it."""
    return (submission.status not in states.PENDING
            and report_readiness(submission=submission, kind=ReportKind.EVALUATION) == REPORT_PENDING)


def report_failed(*, submission: Submission) -> bool:
    """Its findings report could not be made (the sweep gave up): the page says so instead of waiting."""
    return report_readiness(submission=submission, kind=ReportKind.EVALUATION) == REPORT_FAILED


# --- The usual time for a district of this size --------------------------------------------------

USUAL_SAMPLE = 25  # the most recent runs of similar districts a median is taken over
USUAL_MIN_RUNS = 3  # fewer than this: an estimate from the district's size instead
_RERENDER_AFTER = timedelta(hours=1)  # a report stored later than this was rendered again (certification)


def _similar_districts(schools: int) -> list[int]:
    """Districts with between half and twice as many schools (every district when size is unknown)."""
    sizes = District.objects.annotate(n=Count("schools")).values_list("pk", "n")
    return [pk for pk, n in sizes if not schools or schools / 2 <= n <= schools * 2]


def _median_seconds(pairs: Iterable[tuple[Any, Any]], longest: timedelta | None = None) -> float | None:
    spans = [end - start for start, end in pairs if start and end and end >= start]
    spans = [s.total_seconds() for s in spans if longest is None or s <= longest]
    return statistics.median(spans) if len(spans) >= USUAL_MIN_RUNS else None


def _measured(schools: int) -> dict[str, Any]:
    similar = _similar_districts(schools)
    runs = list(Evaluation.objects.filter(submission__district_id__in=similar, outcome__in=selectors.CHECKED,
                                          finished_at__isnull=False)
                .order_by("-finished_at").values_list("started_at", "finished_at")[:USUAL_SAMPLE])
    reports = list(Report.objects.filter(kind=ReportKind.EVALUATION, evaluation__submission__district_id__in=similar)
                   .order_by("-created_at").values_list("evaluation__finished_at", "created_at")[:USUAL_SAMPLE])
    return {"check": _median_seconds(runs), "report": _median_seconds(reports, _RERENDER_AFTER),
            "runs": len(runs)}


def usual_durations(*, district: District) -> dict[str, Any]:
    """How long checking and the report usually take for a district of this many schools.

    The median of the latest runs for districts of similar size; where fewer have run, an
    estimate that grows with the number of schools (measured on the demo districts, with room).
    """
    schools = district.schools.count()
    # The status fragment asks every two seconds: the history changes far more slowly.
    measured = cache.get_or_set(f"portal-usual-{schools}", lambda: _measured(schools), 300) or _measured(schools)
    check = measured["check"] or 20 + 0.1 * schools
    report = measured["report"] or 40 + 0.25 * schools
    return {"schools": schools, "check": duration_text(check), "report": duration_text(report),
            "measured": measured["check"] is not None, "runs": measured["runs"]}


def duration_text(seconds: float) -> str:
    """"about 40 seconds", "about 3 minutes": rounded as a person would say it."""
    if seconds < 55:
        return f"about {max(5, round(seconds / 5) * 5)} seconds"
    minutes = max(1, round(seconds / 60))
    return "about a minute" if minutes == 1 else f"about {minutes} minutes"
