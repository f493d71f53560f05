"""Every write the compliance app makes, by entity. Keyword-only services named ``<entity>_<action>``.

Views, tasks, commands and the admin call these (``from compliance import services``); none of
them changes a submission's status any other way than through :func:`submission_transition`.
Who may do what is decided in ``compliance.permissions``; the legal moves in ``compliance.states``.
"""
from compliance.states import REPLACEABLE, TRANSITIONS

from .evaluation import (
    FAILURE_NOTE,
    EvaluationInProgress,
    attempts_note,
    evaluation_reproduce,
    evaluation_run,
    submission_claim_for_evaluation,
    submission_evaluate,
)
from .exports import cycle_export, cycle_export_data
from .notify import notification_deliver, notification_queue, notification_retry, reminders_send
from .report_attempts import report_given_up, report_render, reports_retry
from .reports import report_export_csv, report_generate, report_queue, stored_workbook_read
from .review import (
    comment_create,
    finding_review,
    finding_severity_change,
    findings_confirm_rule,
    submission_decide,
    submission_return_with_actions,
)
from .review_assign import submission_assign, submissions_assign
from .review_plans import corrective_action_answer, corrective_action_judge
from .review_queue import queue_view_delete, queue_view_save
from .rule_sets import rule_set_new_version
from .submissions import (
    IllegalTransition,
    submission_certify,
    submission_claim,
    submission_create,
    submission_queue,
    submission_release,
    submission_return,
    submission_transition,
    upload_too_large_message,
)
from .sweeper import evaluation_dispatch, pipeline_sweep, report_dispatch, task_send

__all__ = [
    "FAILURE_NOTE", "REPLACEABLE", "TRANSITIONS", "EvaluationInProgress", "IllegalTransition",
    "attempts_note", "comment_create", "cycle_export", "cycle_export_data", "stored_workbook_read",
    "evaluation_dispatch", "evaluation_reproduce", "evaluation_run", "report_given_up", "report_render",
    "reports_retry",
    "finding_review", "pipeline_sweep", "report_dispatch", "task_send",
    "report_export_csv", "report_generate", "report_queue", "rule_set_new_version", "submission_certify",
    "submission_claim", "submission_claim_for_evaluation", "submission_create", "submission_decide",
    "submission_evaluate", "submission_queue", "submission_release", "submission_return",
    "submission_transition", "upload_too_large_message",
]
# Issue 12: severity changes, rule-wide confirmation, returns with required actions, assignment, plans, saved views.
__all__ += [
    "corrective_action_answer", "corrective_action_judge", "finding_severity_change", "findings_confirm_rule",
    "queue_view_delete", "queue_view_save", "submission_assign", "submission_return_with_actions",
    "submissions_assign",
]
# Issue 10/11: e-mail as an outbox.
__all__ += ["notification_deliver", "notification_queue", "notification_retry", "reminders_send"]
