"""Report writes: queue and store an evaluation's PDF; gather from the database what it prints."""
from __future__ import annotations

import functools
import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from compliance import permissions, pipeline
from compliance.models import (
    EquityAssistanceRegion,
    Evaluation,
    EvaluationOutcome,
    Report,
    ReportKind,
    ReviewStatus,
    Submission,
)
from compliance.models_review import ProposalStatus
from compliance.reports import formatting as fmt
from compliance.reports.generate import SubmissionFacts, export_csv, report_pdf
from compliance.rules.model import WorkbookData
from compliance.selectors_review import DISTRICT, comments_visible_to, status_shown_to
from compliance.states import BEFORE_CERTIFICATION, SHOWS_FINDINGS_REPORT, SubmissionStatus
from compliance.workbook.guarded import read_workbook_guarded

from .sweeper import report_dispatch


def report_queue(*, evaluation: Evaluation, kind: str) -> None:
    """Render the report once the transaction that made it necessary commits.

    The send never raises: with the broker down, the pipeline sweep renders the missing report later.
    """
    pk = evaluation.pk
    transaction.on_commit(lambda: report_dispatch(evaluation_id=pk, kind=kind))


def report_render_again(*, evaluation: Evaluation, kind: str) -> None:
    """Drop the stored report and queue a new rendering, in the caller's transaction.

    Certification does this: the draft goes, so no one downloads a DRAFT of a certified
    submission, the page follows the new rendering, and if the send is lost the sweep finds
    the report missing and sends it again.
    """
    for old in Report.objects.filter(evaluation=evaluation, kind=kind):
        old.delete()
        transaction.on_commit(functools.partial(old.file.storage.delete, old.file.name))  # the file once the row went
    # Sent now: the sweep gives this send its usual time before it sends again.
    Evaluation.objects.filter(pk=evaluation.pk).update(reports_dispatched_at=timezone.now())
    report_queue(evaluation=evaluation, kind=kind)


def report_generate(*, evaluation: Evaluation, kind: str) -> Report:
    """Render the PDF for an evaluation and store it with its hash (idempotent per kind)."""
    existing = Report.objects.filter(evaluation=evaluation, kind=kind).first()
    if existing is not None and kind == ReportKind.EVALUATION:
        return existing
    # Fresh from the database: the decision and status may be newer than the caller's copy.
    submission = Submission.objects.select_related("district", "cycle").get(pk=evaluation.submission_id)
    drafted = submission.status in BEFORE_CERTIFICATION
    pdf = report_pdf(result=evaluation.result, workbook=stored_workbook_read(submission=submission),
                     facts=_submission_facts(submission, evaluation),
                     rule_set=pipeline.rule_set_ref(evaluation.rule_set))
    sha256 = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        # Locked: a certification that committed while this draft rendered is seen here (issue 11).
        status = Submission.objects.select_for_update().values_list("status", flat=True).get(pk=submission.pk)
        if not (drafted and status not in BEFORE_CERTIFICATION):
            for old in Report.objects.filter(evaluation=evaluation, kind=kind):
                old.file.delete(save=False)  # the stored PDF goes with its row
                old.delete()
            report = Report(submission=submission, evaluation=evaluation, kind=kind, sha256=sha256, size=len(pdf))
            report.file.save(f"{kind}.pdf", ContentFile(pdf), save=False)
            report.save()
            return report
    # Certified while this draft rendered: a DRAFT must not replace the certified report; render it as certified.
    return report_generate(evaluation=evaluation, kind=kind)


def report_export_csv(*, evaluation: Evaluation, kind: str) -> bytes:
    """The per-school or findings CSV of an evaluation (writes nothing; it shares the gathering)."""
    return export_csv(kind=kind, result=evaluation.result,
                      workbook=stored_workbook_read(submission=evaluation.submission),
                      rule_set=pipeline.rule_set_ref(evaluation.rule_set))


# --- Gathering --------------------------------------------------------------------------------


def stored_workbook_read(*, submission: Submission) -> WorkbookData:
    """The raw counts suppression needs: re-read under the same limits as the first reading."""
    with submission.file.open("rb") as fh:
        return read_workbook_guarded(fh.read(), limits=pipeline.intake_limits(),
                                     timeout_seconds=settings.WORKBOOK_PARSE_TIMEOUT_SECONDS,
                                     memory_bytes=settings.WORKBOOK_PARSE_MEMORY_BYTES)


def _person(user) -> str:
    """A name for a public report: the full name, never the login name."""
    return user.get_full_name() or "State staff"


def _certified(submission: Submission) -> dict | None:
    """Who certified the submission and when: its latest certification still standing."""
    if submission.status in BEFORE_CERTIFICATION:
        return None
    certification = getattr(submission, "certification", None)
    if certification is not None:
        # The certifier's own typed name and title (issue 11), as attested; through the API without them,
        # the account's name and what the call carries instead, never as if typed.
        return {"by": certification.signer_via,
                "unsigned_note": certification.unsigned_note,
                "at": timezone.localtime(certification.certified_at),  # the state's own time zone, named
                "attestation": certification.attestation}
    event = submission.audit_events.filter(action="certified").select_related("actor").order_by("-created_at").first()
    if event is None:
        return None
    return {"by": _person(event.actor) if event.actor else "the district certifier",
            "at": timezone.localtime(event.created_at)}


def _signed_off_by(submission: Submission) -> str:
    """Who signed the noncompliance decision off (the second person), or "" for a decision taken alone."""
    proposal = (submission.proposals.filter(status=ProposalStatus.SIGNED_OFF).select_related("answered_by")
                .order_by("-answered_at", "-pk").first())
    return _person(proposal.answered_by) if proposal is not None and proposal.answered_by else ""


def _corrective_actions(submission: Submission, index: dict[int, int]) -> list[dict]:
    """The plan the state set with its decision, in due order, each with the finding it answers."""
    return [{"description": a.description, "due_on": a.due_on, "status": a.get_status_display(),
             "waiting": a.status in permissions.ANSWERABLE_ACTIONS,
             "finding": index.get(a.finding_id) if a.finding_id else None}
            for a in submission.corrective_actions.order_by("due_on", "pk")]


def _response_due(submission: Submission, certified: dict | None, decided: bool,
                  actions: list[dict] | None = None) -> tuple[str, str] | None:
    """The next date someone must act by: the district's certification, else the state's review,
    and once decided the first corrective action still waiting for the district, if any."""
    if decided:
        waiting = [a["due_on"] for a in actions or [] if a["waiting"]]
        return ("Next corrective action due", fmt.when(min(waiting))) if waiting else None
    if certified is None:
        return ("Certification due", fmt.when(submission.cycle.due_on))
    return ("State review due", fmt.when((certified["at"] + timedelta(days=submission.cycle.review_days)).date()))


def _assistance_center(state: str) -> dict[str, str] | None:
    row = EquityAssistanceRegion.objects.filter(state=state).first()
    return None if row is None else {"region": row.region, "center": row.center, "operator": row.operator}


def _district_measures(evaluations) -> dict[int, dict]:
    """Submission id -> the district measures block of its newest accepted evaluation (only that part
    of the JSON is read: a 2,000-school evaluation's school list never leaves the database)."""
    rows = (evaluations.filter(outcome=EvaluationOutcome.ACCEPTED).order_by("submission_id", "-started_at", "-pk")
            .values_list("submission_id", "measures__district"))
    out: dict[int, dict] = {}
    for submission_id, block in rows:
        out.setdefault(submission_id, block or {})
    return out


def _history(submission: Submission) -> list[dict]:
    """The district's earlier decided submissions, oldest first, with their key measures."""
    earlier = list(Submission.objects.filter(district_id=submission.district_id, status=SubmissionStatus.DECIDED,
                                             cycle__opens_on__lte=submission.cycle.opens_on)
                   .exclude(pk=submission.pk).select_related("cycle", "decision")
                   .order_by("cycle__opens_on", "version"))
    measures = _district_measures(Evaluation.objects.filter(submission__in=earlier))
    same_cycle = {s.cycle_id for s in earlier}
    return [{"label": s.cycle.school_year + (f" v{s.version}" if len(same_cycle) < len(earlier) else ""),
             "outcome": s.decision.get_outcome_display() if getattr(s, "decision", None) else "",
             "measures": measures[s.pk]} for s in earlier if s.pk in measures]


def _peers(submission: Submission) -> list[dict]:
    """The district measures of every other district's newest report-bearing submission this cycle."""
    newest: dict[int, int] = {}
    for district_id, pk in (Submission.objects.filter(cycle_id=submission.cycle_id, status__in=SHOWS_FINDINGS_REPORT)
                            .exclude(district_id=submission.district_id)
                            .order_by("district_id", "-version").values_list("district_id", "pk")):
        newest.setdefault(district_id, pk)
    measures = _district_measures(Evaluation.objects.filter(submission_id__in=newest.values()))
    return [measures[pk] for pk in newest.values() if pk in measures]


def _submission_facts(submission: Submission, evaluation: Evaluation) -> SubmissionFacts:
    decision = getattr(submission, "decision", None)
    certified = _certified(submission)
    reviewer = submission.reviewer or (decision.decided_by if decision is not None else None)
    findings = list(evaluation.findings.order_by("pk").select_related("reviewed_by"))
    index = {f.pk: i for i, f in enumerate(findings)}
    # Only a decision in force sets a plan: a proposal's actions wait for the supervisor's sign-off.
    actions = _corrective_actions(submission, index) if decision is not None else []
    return SubmissionFacts(
        district_name=submission.district.name,
        district_id=submission.district.state_id,
        state=submission.district.state,
        cycle=submission.cycle.school_year,
        version=submission.version,
        status=status_shown_to(DISTRICT, status=submission.status).label,  # a PDF always leaves the state
        workbook_sha256=submission.sha256,
        decision=None if decision is None else {
            "outcome": decision.get_outcome_display(),
            "decided_by": _person(decision.decided_by),
            "decided_at": timezone.localtime(decision.decided_at),  # as the certification: the state's time zone
            "signed_off_by": _signed_off_by(submission),
            "note": decision.note,
        },
        comments=[
            {"author": _person(c.author), "created_at": timezone.localtime(c.created_at), "body": c.body,
             **({"finding": index[c.finding_id]} if c.finding_id in index else {})}
            for c in comments_visible_to(DISTRICT, submission=submission)  # a PDF always leaves the state
        ],
        finding_reviews={
            i: {"status": f.review_status, "note": f.review_note}
            for i, f in enumerate(findings)
            if f.review_status != ReviewStatus.OPEN
        },
        certified=certified,
        response_due=_response_due(submission, certified, decision is not None, actions),
        corrective_actions=actions,
        assistance_center=_assistance_center(submission.district.state),
        state_contact="" if reviewer is None else f"{_person(reviewer)}, state reviewer of this submission",
        history=_history(submission),
        peers=_peers(submission),
    )
