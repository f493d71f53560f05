"""What the district portal shows: the next step per district, and a submission's certification and messages."""
from __future__ import annotations

from typing import Any

from compliance import notifications, permissions, selectors
from compliance.models import Submission
from compliance.states import SubmissionStatus as S

from .submissions import attestation_text


def portal_detail_context(*, submission: Submission, user) -> dict[str, Any]:
    """Context for the district parts of the submission page (read-only)."""
    context: dict[str, Any] = {
        "attestation": attestation_text(submission.cycle),
        "certification": getattr(submission, "certification", None),
    }
    # The district's own messages: its people and state staff see them, as they see the page.
    if permissions.can_view_submission(user, submission):
        context["notifications"] = list(notifications.notifications_for(submission=submission)[:50])
    return context


# --- What to do next (home page, per district) ---------------------------------------------


def _newest_in(submissions: list[Submission], cycle) -> Submission | None:
    mine = [s for s in submissions if cycle is not None and s.cycle_id == cycle.pk]
    return max(mine, key=lambda s: s.version, default=None)


def _errors_of(submission: Submission) -> int:
    counts = getattr(submission, "latest_counts", None)
    return counts.n_errors if counts is not None else submission.latest_evaluation.problems.filter(
        severity="error").count()


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
    status = newest.status
    if status in (S.RECEIVED, S.QUEUED, S.VALIDATING):
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
        return {"kind": "done", "submission": newest, "text": "The state has decided: read the decision report."}
    return {"kind": "wait", "submission": newest,
            "text": f"Nothing to do now: version {newest.version} is with the state for review."}
