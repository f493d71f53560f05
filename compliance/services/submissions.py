"""Submission writes: the one transition function, upload, queueing, certification and claiming."""
from __future__ import annotations

import hashlib
import unicodedata
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from compliance import permissions
from compliance.models import (
    DEFAULT_ATTESTATION,
    AuditEvent,
    Certification,
    CertificationVia,
    EvaluationOutcome,
    ReportingCycle,
    ReportKind,
    Submission,
)
from compliance.notifications import kind_for_transition
from compliance.selectors_review import DISTRICT, status_shown_to
from compliance.states import LOCKED, PENDING, REPLACEABLE, TRANSITIONS
from compliance.states import SubmissionStatus as S
from districts.models import District, User

from .notify import notification_queue
from .reports import report_render_again
from .sweeper import evaluation_dispatch


class IllegalTransition(Exception):
    """The move is not in TRANSITIONS, or another process moved the submission first."""


def submission_transition(
    *, submission: Submission, to: str, actor: User | None = None, note: str = "", action: str = "", **fields: Any
) -> Submission:
    """Move ``submission`` to ``to`` atomically and record who did it.

    The UPDATE is conditional on the status we read, so two workers (or two reviewers) racing
    for the same move cannot both win: the loser gets IllegalTransition.
    """
    current = submission.status
    if to not in TRANSITIONS.get(current, frozenset()):
        # str(): the plain value, not the enum's repr, for the admin's message.
        raise IllegalTransition(f"A submission cannot go from {str(current)!r} to {str(to)!r}.")
    now = timezone.now()
    with transaction.atomic():
        updated = Submission.objects.filter(pk=submission.pk, status=current).update(
            status=to, status_changed_at=now, **fields
        )
        if updated != 1:
            raise IllegalTransition(f"Submission {submission.pk} is no longer {str(current)!r}.")
        AuditEvent.objects.create(
            submission=submission,
            actor=actor,
            action=action or f"status:{to}",
            from_status=current,
            to_status=to,
            note=note,
            created_at=now,
        )
        kind = kind_for_transition(action or f"status:{to}", to)
        if kind:
            notification_queue(kind=kind, submission_id=submission.pk, actor=actor)
    submission.status = to
    submission.status_changed_at = now
    for name, value in fields.items():
        setattr(submission, name, value)
    return submission


# --- Upload -------------------------------------------------------------------------------


def upload_too_large_message() -> str:
    limit = filesizeformat(settings.WORKBOOK_MAX_UPLOAD_BYTES)
    return f"The file is larger than the {limit} limit. Remove unused sheets and resave it, then upload it again."


def _read_upload(fileobj: IO[bytes]) -> bytes:
    data = fileobj.read(settings.WORKBOOK_MAX_UPLOAD_BYTES + 1)
    if len(data) > settings.WORKBOOK_MAX_UPLOAD_BYTES:
        raise ValidationError(upload_too_large_message())
    if not data:
        raise ValidationError("The file is empty. Choose the filled-in workbook and upload it again.")
    return data


def _refuse_while_busy(earlier: list[Submission]) -> None:
    """No new version while an earlier one is being checked or is with the state."""
    blocking = [s for s in earlier if s.status in PENDING]
    if blocking:
        raise permissions.StateConflict(
            f"Version {blocking[-1].version} is still being checked; wait a moment and try again.")
    closed = uploads_closed_reason(earlier)
    if closed:
        raise permissions.StateConflict(closed)


def uploads_closed_reason(earlier: list[Submission]) -> str | None:
    """Why the district may not upload another version this cycle (one is with the state), or None.
    The upload form is not offered while this holds (the home page), and an upload is refused."""
    locked = [s for s in earlier if s.status in LOCKED]
    if not locked:
        return None
    newest = max(locked, key=lambda s: s.version)
    if newest.status == S.DECIDED:
        return (f"Version {newest.version} has been decided by the state; this cycle's submission is complete "
                "and no new version can be uploaded.")
    # Said to the district (the upload refusal, the home page): in the words of ``status_shown_to``.
    shown = status_shown_to(DISTRICT, status=newest.status).label
    return (f"Version {newest.version} is already with the state ({shown}); "
            "a new version can be uploaded once the state returns it for revision.")


def submission_create(
    *, district: District, cycle: ReportingCycle, uploaded_by: User, fileobj: IO[bytes], filename: str,
    note: str = "",
) -> Submission:
    """Store an uploaded workbook as the district's next version and queue its evaluation.

    ``note`` is the uploader's own word on this version; the submission's history keeps it.
    """
    permissions.enforce(permissions.upload_refusal(uploaded_by, district, cycle))
    data = _read_upload(fileobj)
    sha256 = hashlib.sha256(data).hexdigest()
    filename, note = _printable(filename)[:255] or "workbook.xlsx", _printable(note, keep="\n")

    with transaction.atomic():
        # Lock the district row: two uploads at once (a double click) then take turns, and the
        # second sees the first's version number. Locking only the earlier versions would not
        # cover a district's first upload.
        District.objects.select_for_update().filter(pk=district.pk).first()
        earlier = list(Submission.objects.filter(district=district, cycle=cycle).order_by("version"))
        _refuse_while_busy(earlier)
        version = (max((s.version for s in earlier), default=0)) + 1
        submission = Submission(
            district=district,
            cycle=cycle,
            version=version,
            original_filename=filename,
            sha256=sha256,
            size=len(data),
            uploaded_by=uploaded_by,
        )
        submission.file.save(f"v{version}.xlsx", ContentFile(data), save=False)
        submission.save()
        AuditEvent.objects.create(
            submission=submission, actor=uploaded_by, action="uploaded", to_status=S.RECEIVED,
            note=_receipt_note(filename, len(data), sha256, note),
        )
        for old in earlier:
            if old.status in REPLACEABLE:
                submission_transition(submission=old, to=S.SUPERSEDED, actor=uploaded_by,
                                      note=f"Replaced by version {version}.")
        notification_queue(kind="receipt", submission_id=submission.pk)
        submission_queue(submission=submission, actor=uploaded_by)
    return submission


def _printable(text: str, keep: str = "") -> str:
    """Without control characters: a client's file name or note may carry any (PostgreSQL refuses NUL)."""
    return "".join(c for c in text if c in keep or unicodedata.category(c) != "Cc")


def _receipt_note(filename: str, size: int, sha256: str, note: str) -> str:
    receipt = f"{filename} ({size} bytes, sha256 {sha256})"
    note = " ".join(note.split())
    return f"{receipt}. Uploader's note: {note}" if note else receipt


def submission_queue(*, submission: Submission, actor: User | None = None) -> Submission:
    """Record the evaluation as due (status QUEUED, in the caller's transaction); send it on commit.

    The row is the outbox: if the broker is down the send only logs, the upload still succeeds,
    and the pipeline sweep sends it again (compliance.services.sweeper).
    """
    submission_transition(submission=submission, to=S.QUEUED, actor=actor, attempts=0, lease_expires_at=None,
                          dispatched_at=timezone.now())
    pk = submission.pk
    transaction.on_commit(lambda: evaluation_dispatch(submission_id=pk))
    return submission


# --- District certification ----------------------------------------------------------------


def attestation_text(cycle: ReportingCycle) -> str:
    """The words a certifier attests to: the state's own for the cycle, else the standard text."""
    return cycle.attestation.strip() or DEFAULT_ATTESTATION


def _certifier_name_and_title(user: User, full_name: str | None, title: str | None) -> tuple[str, str, bool]:
    """(name, title, signed): the typed name and title, else both the account's; spaces collapsed.

    Signed when either is typed, and then both must be. ValidationError if blank or too long for the record.
    """
    signed = full_name is not None or title is not None
    if signed:
        full_name, title = full_name or "", title or ""
    else:
        full_name, title = user.get_full_name() or user.username, user.get_role_display()
    full_name, title = " ".join(full_name.split()), " ".join(title.split())
    if not full_name or not title:
        raise ValidationError("Type your full name and your title to certify.")
    # An account's name (first and last, up to 301 characters) can be longer than the record holds:
    # refuse it plainly rather than fail in the database (PostgreSQL) or keep a cut-off name.
    fields = Certification._meta
    name_max, title_max = fields.get_field("full_name").max_length or 0, fields.get_field("title").max_length or 0
    if len(full_name) > name_max or len(title) > title_max:
        where = "" if signed else "; certify on the submission's web page, typing them"
        raise ValidationError(f"A name of at most {name_max} characters and a title of at most {title_max} "
                              f"can be certified{where}.")
    return full_name, title, signed


def submission_certify(
    *, submission: Submission, user: User, full_name: str | None = None, title: str | None = None,
    via: str = CertificationVia.WEB,
) -> Submission:
    """Certify, recording who, how and the attestation as shown (``Certification``).

    Signed: the certifier's typed name and title, after ticking the attestation (the web form; the
    API with a body, validated by the same form). A caller that passes neither (the API without a
    body, scripts) certifies unsigned, in the account's own name and role, which is what it
    authenticated as: recorded so, and never shown as if typed. ``via``: "web" or "api".
    """
    permissions.enforce(permissions.certify_refusal(user, submission))
    full_name, title, signed = _certifier_name_and_title(user, full_name, title)
    record = Certification(submission=submission, certified_by=user, full_name=full_name, title=title,
                           attestation=attestation_text(submission.cycle), via=via, signed=signed)
    with transaction.atomic():
        submission_transition(submission=submission, to=S.CERTIFIED, actor=user, action="certified",
                              note=record.audit_note)
        event = submission.audit_events.filter(action="certified").order_by("-created_at", "-pk").first()
        submission.certification, _ = Certification.objects.update_or_create(
            submission=submission,
            defaults={"certified_by": user, "full_name": full_name, "title": title, "attestation": record.attestation,
                      "via": via, "signed": signed, "certified_at": event.created_at if event else timezone.now()},
        )
        # The draft PDF said "DRAFT" and named no certifier: every later PDF names them (issue 11).
        evaluation = submission.evaluations.filter(outcome=EvaluationOutcome.ACCEPTED).order_by(
            "-started_at", "-pk").first()
        if evaluation is not None:
            report_render_again(evaluation=evaluation, kind=ReportKind.EVALUATION)
    return submission


# --- State review: who holds a submission ---------------------------------------------------


def submission_claim(*, submission: Submission, user: User) -> Submission:
    """Take a certified submission from the queue; a second reviewer racing for it loses cleanly."""
    permissions.enforce(permissions.claim_refusal(user, submission))
    try:
        return submission_transition(submission=submission, to=S.IN_REVIEW, actor=user, action="claimed", reviewer=user)
    except IllegalTransition:
        # Someone moved it between our read and our UPDATE: say what happened, from a fresh copy.
        submission.refresh_from_db()
        raise ValidationError(
            permissions.claim_refusal(user, submission) or "Another reviewer has already claimed this submission."
        ) from None


def submission_release(*, submission: Submission, user: User, note: str = "") -> Submission:
    permissions.enforce(permissions.release_refusal(user, submission))
    return submission_transition(
        submission=submission, to=S.CERTIFIED, actor=user, action="released", note=note, reviewer=None
    )


def submission_return(*, submission: Submission, user: User, note: str) -> Submission:
    permissions.enforce(permissions.return_refusal(user, submission))
    if not note.strip():
        raise ValidationError("Tell the district what to revise.")
    return submission_transition(submission=submission, to=S.RETURNED, actor=user, action="returned", note=note.strip())
