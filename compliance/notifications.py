"""Who is told what by e-mail: each kind's recipients (chosen when its event happens) and its message."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse

from compliance import permissions, selectors
from compliance.models import (
    CorrectiveAction,
    DecisionOutcome,
    NotificationLog,
    ProposalStatus,
    ReportingCycle,
    ReportKind,
    Submission,
)
from compliance.rules.counts import SeverityCounts
from compliance.selectors_review import DISTRICT, review_due_of, status_shown_to
from compliance.states import SubmissionStatus as S
from districts.models import DISTRICT_ROLES, District, User

REMINDER_DAYS = (14, 7, 1)
# Messages to the district's own people: the submission page lists these (and only these) once sent.
DISTRICT_KINDS = ("receipt", "rejected", "evaluated", "certified", "returned", "decided", "reminder",
                  "plan_accepted", "plan_asked_again")
# Messages to state staff about their review work; the district never sees them.
STATE_KINDS = ("assigned", "reassigned", "sign_off_requested", "sent_back")
KINDS = DISTRICT_KINDS + STATE_KINDS

# (audit action, new status) -> the notification it sends. Keyed on both: "certified" is also
# where a reviewer's release lands, and that tells the district nothing new.
_ON_TRANSITION: dict[tuple[str, str], str] = {
    ("evaluation_finished", S.REJECTED): "rejected",
    ("evaluation_finished", S.EVALUATED): "evaluated",
    ("certified", S.CERTIFIED): "certified",
    ("returned", S.RETURNED): "returned",
    ("decided", S.DECIDED): "decided",
    ("assigned", S.IN_REVIEW): "assigned",
    ("decision_proposed", S.AWAITING_SIGN_OFF): "sign_off_requested",
    ("decision_sent_back", S.IN_REVIEW): "sent_back",
}


def kind_for_transition(action: str, to: str) -> str | None:
    return _ON_TRANSITION.get((action, str(to)))


def site_url(path: str) -> str:
    """An absolute link for a message: the worker has no request to build one from."""
    return settings.SITE_URL.rstrip("/") + path


def person(user: User | None) -> str:
    if user is None:
        return "The state"
    return user.get_full_name() or user.username


# --- Recipients, chosen in the event's transaction ---------------------------------------------


def recipients(district: District) -> list[str]:
    """The district's own submitters and certifiers with an address: everyone who acts for it."""
    users = User.objects.filter(districts=district, role__in=DISTRICT_ROLES, is_active=True).exclude(email="")
    return sorted({u.email for u in users})


def _addresses(users: list[User], actor: User | None) -> list[str]:
    # Nobody is told by e-mail what they did themselves (a supervisor assigning to themselves).
    return sorted({u.email for u in users if u.is_active and u.email and (actor is None or u.pk != actor.pk)})


def _to_district(submission: Submission, actor: User | None) -> list[str]:
    return recipients(submission.district)


def _to_reviewer(submission: Submission, actor: User | None) -> list[str]:
    """The reviewer who holds the submission now (the row is read inside the event's transaction)."""
    return _addresses([submission.reviewer] if submission.reviewer else [], actor)


def _to_signers(submission: Submission, actor: User | None) -> list[str]:
    """Every supervisor who may sign the proposed decision off: not its reviewer, not its proposer."""
    staff = User.objects.filter(permissions.reviewer_filter()).exclude(email="")
    return _addresses([u for u in staff if permissions.can_sign_off(u, submission)], actor)


_AUDIENCES: dict[str, Callable[[Submission, User | None], list[str]]] = {
    **{kind: _to_district for kind in DISTRICT_KINDS},
    "assigned": _to_reviewer, "reassigned": _to_reviewer, "sent_back": _to_reviewer,
    "sign_off_requested": _to_signers,
}


def addressees(*, kind: str, submission: Submission, actor: User | None) -> list[str]:
    """Who is told of ``kind`` about ``submission`` as it stands now (an unknown kind is a bug: KeyError)."""
    return _AUDIENCES[kind](submission, actor)


# --- What each message says, rendered when it is sent ------------------------------------------


def _counts(submission: Submission) -> dict[str, int]:
    """Errors, warnings, findings and notes of the newest checked evaluation: the page's and the PDF's counts."""
    counts = selectors.submission_counts_one(submission=submission) or SeverityCounts()
    return dataclasses.asdict(counts)


def _last_note(submission: Submission, action: str) -> str:
    event = submission.audit_events.filter(action=action).order_by("-created_at", "-pk").first()
    return event.note if event else ""


def _submission_context(submission: Submission) -> dict[str, Any]:
    context: dict[str, Any] = {
        "submission": submission, "district": submission.district, "cycle": submission.cycle,
        "link": site_url(reverse("submission_detail", args=[submission.pk])),
        "size": filesizeformat(submission.size), "counts": _counts(submission),
        "uploader": person(submission.uploaded_by),
        "time_zone": settings.TIME_ZONE,
    }
    context["certification"] = getattr(submission, "certification", None)
    context["return_note"] = _last_note(submission, "returned")
    decision = getattr(submission, "decision", None)
    context["decision"] = decision
    if decision is not None:
        context["pdf_link"] = site_url(reverse("report_download", args=[submission.pk, ReportKind.DECISION]))
        # The plan the decision sets: what the district must do next, by when, and where to answer.
        context["corrective_actions"] = list(submission.corrective_actions.order_by("due_on", "pk"))
        context["plan_link"] = site_url(reverse("plan_page", args=[submission.pk]))
    return context


def _plan_context(note: NotificationLog, submission: Submission) -> dict[str, Any]:
    action = CorrectiveAction.objects.get(pk=note.params["action"], submission=submission)
    return {"action": action,
            "plan_link": site_url(reverse("plan_page", args=[submission.pk])) + f"#action-{action.pk}"}


def _review_context(note: NotificationLog, submission: Submission) -> dict[str, Any]:
    """For state staff: who moved it, when the review is due, and the proposal at stake."""
    proposals = submission.proposals.select_related("proposed_by").order_by("-proposed_at", "-pk")
    # The one sent back, even if the reviewer has proposed again since the event.
    proposal = (proposals.filter(status=ProposalStatus.SENT_BACK) if note.kind == "sent_back" else proposals).first()
    return {"by": note.params.get("by") or "A supervisor", "review_due": review_due_of(submission),
            "proposal": proposal, "proposed_by": person(proposal.proposed_by) if proposal else "",
            "outcome": DecisionOutcome(proposal.outcome).label if proposal else "",
            "sent_back_note": proposal.answer_note if proposal else ""}


_EXTRA: dict[str, Callable[[NotificationLog, Submission], dict[str, Any]]] = {
    "plan_accepted": _plan_context, "plan_asked_again": _plan_context,
    **{kind: _review_context for kind in STATE_KINDS},
}


def _reminder_context(note: NotificationLog) -> dict[str, Any]:
    newest = note.submission
    return {"district": note.district, "cycle": ReportingCycle.objects.get(pk=note.params["cycle"]),
            "days": note.params["days"], "newest": newest, "link": site_url(reverse("home")),
            "newest_status": status_shown_to(DISTRICT, status=newest.status).label if newest else ""}


def message_context(note: NotificationLog) -> dict[str, Any]:
    """What the templates of ``note.kind`` read, from the rows as they are now and what the event recorded."""
    if note.kind == "reminder" or note.submission_id is None:  # only a reminder may be about no submission
        return _reminder_context(note)
    submission = Submission.objects.select_related("district", "cycle", "uploaded_by", "reviewer").get(
        pk=note.submission_id)
    context = _submission_context(submission)
    if add_context := _EXTRA.get(note.kind):
        context.update(add_context(note, submission))
    return context


def message_build(kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain-text body and HTML body from templates/emails/<kind>.*."""
    subject = render_to_string(f"emails/{kind}_subject.txt", context).strip()
    text = render_to_string(f"emails/{kind}.txt", context)
    html = render_to_string(f"emails/{kind}.html", context)
    return " ".join(subject.split()), text, html


def notifications_for(*, submission: Submission) -> QuerySet[NotificationLog]:
    """The messages sent to this submission's district in its cycle (reminders too), newest first.

    Only those actually sent: one waiting for its first try or given up is not a message anyone got.
    """
    this_cycle = Q(submission__cycle_id=submission.cycle_id) | Q(submission__isnull=True,
                                                                  params__cycle=submission.cycle_id)
    return NotificationLog.objects.filter(this_cycle, district_id=submission.district_id, kind__in=DISTRICT_KINDS,
                                          sent_at__isnull=False).order_by("-sent_at", "-pk")
