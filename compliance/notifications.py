"""Who is told what by e-mail about a district's submission, and the send that logs each message."""
from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from compliance import selectors
from compliance.models import (
    DeadlineReminder,
    NotificationLog,
    ReportingCycle,
    ReportKind,
    Submission,
)
from compliance.rules.counts import SeverityCounts
from compliance.states import LOCKED
from compliance.states import SubmissionStatus as S
from districts.models import DISTRICT_ROLES, District, User

KINDS = ("receipt", "rejected", "evaluated", "certified", "returned", "decided", "reminder")
REMINDER_DAYS = (14, 7, 1)

# (audit action, new status) -> the notification it sends. Keyed on both: "certified" is also
# where a reviewer's release lands, and that tells the district nothing new.
_ON_TRANSITION: dict[tuple[str, str], str] = {
    ("evaluation_finished", S.REJECTED): "rejected",
    ("evaluation_finished", S.EVALUATED): "evaluated",
    ("certified", S.CERTIFIED): "certified",
    ("returned", S.RETURNED): "returned",
    ("decided", S.DECIDED): "decided",
}


def kind_for_transition(action: str, to: str) -> str | None:
    return _ON_TRANSITION.get((action, str(to)))


def site_url(path: str) -> str:
    """An absolute link for a message: the worker has no request to build one from."""
    return settings.SITE_URL.rstrip("/") + path


def recipients(district: District) -> list[str]:
    """The district's own submitters and certifiers with an address: everyone who acts for it."""
    users = User.objects.filter(districts=district, role__in=DISTRICT_ROLES, is_active=True).exclude(email="")
    return sorted({u.email for u in users})


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
        "uploader": submission.uploaded_by.get_full_name() or submission.uploaded_by.username,
        "time_zone": settings.TIME_ZONE,
    }
    certification = getattr(submission, "certification", None)
    context["certification"] = certification
    context["return_note"] = _last_note(submission, "returned")
    decision = getattr(submission, "decision", None)
    context["decision"] = decision
    if decision is not None:
        context["pdf_link"] = site_url(reverse("report_download", args=[submission.pk, ReportKind.DECISION]))
    return context


def message_build(kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain-text body and HTML body from templates/emails/<kind>.*."""
    subject = render_to_string(f"emails/{kind}_subject.txt", context).strip()
    text = render_to_string(f"emails/{kind}.txt", context)
    html = render_to_string(f"emails/{kind}.html", context)
    return " ".join(subject.split()), text, html


def _deliver(*, kind: str, district: District, submission: Submission | None, context: dict[str, Any]) -> int:
    to = recipients(district)
    if not to:
        return 0
    subject, text, html = message_build(kind, context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to)
    message.attach_alternative(html, "text/html")
    message.send()  # raises on SMTP failure: the task retries with backoff
    NotificationLog.objects.create(district=district, submission=submission, kind=kind, subject=subject,
                                   recipients=", ".join(to))
    return len(to)


def notification_send(*, kind: str, submission_id: int) -> int:
    """Send one notification about a submission to its district; returns how many were addressed."""
    submission = Submission.objects.select_related("district", "cycle", "uploaded_by").get(pk=submission_id)
    return _deliver(kind=kind, district=submission.district, submission=submission,
                    context=_submission_context(submission))


# --- Deadline reminders --------------------------------------------------------------------


def _district_newest(district: District, cycle: ReportingCycle) -> Submission | None:
    return Submission.objects.filter(district=district, cycle=cycle).order_by("-version").first()


def _reminder_due(cycle: ReportingCycle, today) -> int | None:
    days = (cycle.due_on - today).days
    return days if days in REMINDER_DAYS else None


def reminders_send(*, today=None) -> int:
    """Remind each district of an open cycle that has not certified, 14, 7 and 1 days before it is due.

    The DeadlineReminder row is written before the mail in one transaction: a second beat run
    hits the unique constraint and sends nothing; a failed send rolls the row back for next time.
    """
    today = today or timezone.localdate()
    sent = 0
    for cycle in ReportingCycle.objects.filter(opens_on__lte=today, due_on__gte=today):
        days = _reminder_due(cycle, today)
        if days is None:
            continue
        for district in District.objects.filter(users__role__in=DISTRICT_ROLES).distinct():
            newest = _district_newest(district, cycle)
            if newest is not None and newest.status in LOCKED:
                continue  # certified (or with the state): nothing to remind
            try:
                with transaction.atomic():
                    DeadlineReminder.objects.create(district=district, cycle=cycle, days_before=days)
                    context = {"district": district, "cycle": cycle, "days": days, "newest": newest,
                               "link": site_url(reverse("home"))}
                    sent += 1 if _deliver(kind="reminder", district=district, submission=newest,
                                          context=context) else 0
            except IntegrityError:
                continue  # already reminded at this threshold
    return sent


def notifications_for(*, submission: Submission):
    """The messages sent about this submission's district in its cycle (reminders too), newest first."""
    return NotificationLog.objects.filter(district_id=submission.district_id).filter(
        Q(submission__cycle_id=submission.cycle_id) | Q(submission__isnull=True)
    )
