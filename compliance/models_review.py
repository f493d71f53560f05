"""Review models of issue 12: sign-off proposals, corrective action plans, required actions, saved queue views."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["ActionStatus", "CorrectiveAction", "DecisionProposal", "ProposalStatus", "RequiredAction",
           "SavedQueueView"]


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "Awaiting sign-off"
    SIGNED_OFF = "signed_off", "Signed off"
    SENT_BACK = "sent_back", "Sent back to the reviewer"
    WITHDRAWN = "withdrawn", "Withdrawn by its reviewer"


class DecisionProposal(models.Model):
    """A noncompliance decision as the reviewer wrote it; it becomes a Decision only once signed off."""

    submission = models.ForeignKey("compliance.Submission", on_delete=models.CASCADE, related_name="proposals")
    outcome = models.CharField(max_length=32)
    note = models.TextField()
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = models.TextField(blank=True)

    class Meta:
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["submission"], condition=models.Q(status="pending"),
                                    name="one_pending_proposal_per_submission"),
        ]


class ActionStatus(models.TextChoices):
    OPEN = "open", "Waiting for the district's plan"
    SUBMITTED = "submitted", "Plan and evidence submitted"
    ACCEPTED = "accepted", "Accepted"
    ASKED_AGAIN = "asked_again", "Asked again"


class CorrectiveAction(models.Model):
    """One required action of a corrective action plan, with its due date and the district's answer."""

    submission = models.ForeignKey("compliance.Submission", on_delete=models.CASCADE,
                                   related_name="corrective_actions")
    finding = models.ForeignKey("compliance.Finding", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    description = models.TextField()
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    plan = models.FileField(upload_to="plans/%Y/%m/", blank=True)
    evidence = models.FileField(upload_to="plans/%Y/%m/", blank=True)
    # The names the district's files had: the stored names are the app's own, these name the downloads.
    plan_name = models.CharField(max_length=255, blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    reviewer_note = models.TextField(blank=True)
    judged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    judged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]


class RequiredAction(models.Model):
    """One line of a return for revision: what the district must do before uploading again, maybe about a finding."""

    submission = models.ForeignKey("compliance.Submission", on_delete=models.CASCADE,
                                   related_name="required_actions")
    finding = models.ForeignKey("compliance.Finding", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    # What the finding was, kept as words: the line still reads right if the finding row goes.
    finding_label = models.CharField(max_length=300, blank=True)
    description = models.TextField()
    position = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submission", "position"]


class SavedQueueView(models.Model):
    """A reviewer's named set of queue filters and sort ("my work"), kept as the query string it was saved from."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_queue_views")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_queue_view_name_unique")]

    def __str__(self) -> str:
        return self.name
