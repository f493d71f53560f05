"""The district's own workbook back: the original upload as stored, and the marked copy of it."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied

from compliance import permissions
from compliance.models import Evaluation, EvaluationOutcome, Submission
from compliance.workbook.marked import marked_workbook, problem_cells
from districts.models import User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def base_name(submission: Submission) -> str:
    return f"{submission.district.state_id}-{submission.cycle.school_year}-v{submission.version}"


def checked_evaluation(submission: Submission) -> Evaluation | None:
    """The newest finished evaluation, or None while the first check is still running."""
    finished = submission.evaluations.exclude(outcome=EvaluationOutcome.RUNNING)
    return finished.order_by("-started_at", "-pk").first()


def checked_problems(submission: Submission):
    """The problems of the newest finished evaluation, or None while the first check is still running."""
    evaluation = checked_evaluation(submission)
    return None if evaluation is None else list(evaluation.problems.order_by("pk"))


def _stored_bytes(submission: Submission) -> bytes:
    with submission.file.open("rb") as f:
        return f.read()


def submission_original(*, submission: Submission, user: User) -> tuple[bytes, str, str]:
    """(bytes, content type, file name) of the upload exactly as stored."""
    if not permissions.can_download(user, submission):
        raise PermissionDenied("You may not download this workbook.")
    return _stored_bytes(submission), XLSX, f"{base_name(submission)}-original.xlsx"


def submission_marked_workbook(*, submission: Submission, user: User) -> tuple[bytes, str, str] | None:
    """(bytes, content type, file name) of the marked workbook; None until the upload has been checked."""
    if not permissions.can_download(user, submission):
        raise PermissionDenied("You may not download this workbook.")
    problems = checked_problems(submission)
    if problems is None:
        return None
    return marked_workbook(_stored_bytes(submission), problems), XLSX, f"{base_name(submission)}-marked.xlsx"


def submission_problem_cells(*, submission: Submission, problems) -> list[str | None]:
    """Each problem's cell reference (``Schools!K4``) in the stored upload, in the order given."""
    problems = list(problems)
    if not any(p.row and p.column for p in problems):
        return [None] * len(problems)
    return problem_cells(_stored_bytes(submission), problems)
