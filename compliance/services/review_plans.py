"""Corrective action plans after a decision: the district answers each required action, the reviewer judges it."""
from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from compliance import permissions
from compliance.models import ActionStatus, AuditEvent, CorrectiveAction
from districts.models import User

from .notify import notification_queue

# What a plan or its evidence may be: documents, spreadsheets, scans. Checked by name and size only: the
# files are stored under the app's own names and only ever downloaded, never opened by the server.
PLAN_FILE_TYPES = (".pdf", ".docx", ".doc", ".xlsx", ".xls", ".csv", ".odt", ".ods", ".txt", ".png", ".jpg",
                   ".jpeg")


def plan_file_refusal(upload) -> str | None:
    """Why an uploaded plan or evidence file is refused, or None."""
    if not upload:
        return "Upload both the plan and the evidence for this action."
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in PLAN_FILE_TYPES:
        return f"{upload.name}: upload a PDF, Word, Excel, CSV, OpenDocument, text or image file."
    if upload.size > settings.WORKBOOK_MAX_UPLOAD_BYTES:
        return f"{upload.name} is larger than the {filesizeformat(settings.WORKBOOK_MAX_UPLOAD_BYTES)} limit."
    if upload.size == 0:
        return f"{upload.name} is empty."
    return None


def _stored_name(action: CorrectiveAction, kind: str, upload) -> str:
    # Never the uploader's name on disk: the district's name is kept only as text, for the download.
    return f"action-{action.pk}-{kind}{PurePath(upload.name).suffix.lower()}"


def _event(action: CorrectiveAction, user: User, verb: str, note: str) -> None:
    submission = action.submission
    AuditEvent.objects.create(submission=submission, actor=user, action=verb, from_status=submission.status,
                              to_status=submission.status, note=f"action {action.pk}: {note}"[:500])


def corrective_action_answer(*, action: CorrectiveAction, user: User, plan, evidence) -> CorrectiveAction:
    """The district uploads its plan and evidence for one required action; the reviewer then judges it."""
    permissions.enforce(permissions.plan_answer_refusal(user, action))
    refusal = plan_file_refusal(plan) or plan_file_refusal(evidence)
    if refusal:
        raise ValidationError(refusal)
    with transaction.atomic():
        # Conditional on the status we read: a double submit (or a reviewer's judgement in between) loses cleanly.
        answerable = CorrectiveAction.objects.filter(pk=action.pk, status__in=permissions.ANSWERABLE_ACTIONS)
        if not answerable.select_for_update().exists():
            raise ValidationError("This action is no longer waiting for the district's answer.")
        action.plan.save(_stored_name(action, "plan", plan), plan, save=False)
        action.evidence.save(_stored_name(action, "evidence", evidence), evidence, save=False)
        action.plan_name, action.evidence_name = plan.name[:255], evidence.name[:255]
        action.status, action.answered_by, action.answered_at = ActionStatus.SUBMITTED, user, timezone.now()
        action.save(update_fields=["plan", "evidence", "plan_name", "evidence_name", "status", "answered_by",
                                   "answered_at"])
        _event(action, user, "plan_submitted", action.description)
    return action


def corrective_action_judge(*, action: CorrectiveAction, user: User, accept: bool, note: str = "") -> CorrectiveAction:
    """The reviewer accepts the district's answer to one action, or asks again saying what is missing."""
    permissions.enforce(permissions.plan_judge_refusal(user, action))
    if not accept and not note.strip():
        raise ValidationError("Say what the district must add before asking again.")
    status = ActionStatus.ACCEPTED if accept else ActionStatus.ASKED_AGAIN
    now = timezone.now()
    with transaction.atomic():
        updated = CorrectiveAction.objects.filter(pk=action.pk, status=ActionStatus.SUBMITTED).update(
            status=status, reviewer_note=note.strip(), judged_by=user, judged_at=now)
        if updated != 1:
            raise ValidationError("Someone else judged this action first; check its status.")
        action.status, action.reviewer_note, action.judged_by, action.judged_at = status, note.strip(), user, now
        _event(action, user, "plan_accepted" if accept else "plan_asked_again", note.strip() or action.description)
        notification_queue(kind="plan_accepted" if accept else "plan_asked_again", submission_id=action.submission_id,
                           action=action.pk)  # the district is told, with the reviewer's note
    return action
