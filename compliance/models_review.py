"""Review models of issue 12: proposed decisions awaiting sign-off and corrective action plans."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["ActionStatus", "CorrectiveAction", "DecisionProposal", "ProposalStatus"]


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "Awaiting sign-off"
    SIGNED_OFF = "signed_off", "Signed off"
    SENT_BACK = "sent_back", "Sent back to the reviewer"


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
    reviewer_note = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
