"""A saved what-if plan: a named, ordered list of levers over one evaluated submission."""
from django.conf import settings
from django.db import models
from django.utils import timezone


class Plan(models.Model):
    district = models.ForeignKey("districts.District", on_delete=models.CASCADE, related_name="plans")
    base_submission = models.ForeignKey(
        "compliance.Submission", on_delete=models.CASCADE, related_name="plans",
        help_text="The evaluated submission whose Schools sheet the plan starts from.",
    )
    name = models.CharField(max_length=120)
    levers = models.JSONField(default=list, blank=True,
                              help_text="The plan's changes, in order (compliance.rules.planner).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plans")
    shared = models.BooleanField(default=False, help_text="Visible to (and editable by) the district's other users.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.district.name})"
