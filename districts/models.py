"""The state's directory (districts and schools) and the people who use the checker."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models


class Role(models.TextChoices):
    DISTRICT_SUBMITTER = "district_submitter", "District submitter"
    DISTRICT_CERTIFIER = "district_certifier", "District certifier"
    STATE_REVIEWER = "state_reviewer", "State reviewer"
    STATE_SUPERVISOR = "state_supervisor", "State supervisor"
    STATE_ADMIN = "state_admin", "State administrator"


DISTRICT_ROLES = frozenset({Role.DISTRICT_SUBMITTER, Role.DISTRICT_CERTIFIER})
STATE_ROLES = frozenset({Role.STATE_REVIEWER, Role.STATE_SUPERVISOR, Role.STATE_ADMIN})


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    # A district user sees only these districts; state staff see every district.
    districts: models.ManyToManyField[District, Any] = models.ManyToManyField(
        "District", blank=True, related_name="users"
    )

    @property
    def is_state_staff(self) -> bool:
        return self.role in STATE_ROLES

    @property
    def is_district_user(self) -> bool:
        return self.role in DISTRICT_ROLES

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username


state_code = RegexValidator(r"^[A-Z]{2}$", "Use the two-letter postal code, e.g. MS.")


class District(models.Model):
    state_id = models.CharField("state district id", max_length=32, unique=True)
    nces_id = models.CharField("NCES LEA id", max_length=7, blank=True, help_text="Seven digits, leading zeros kept.")
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=2, validators=[state_code])
    region = models.CharField(max_length=100, blank=True, help_text="The state's own region or service area.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.state_id})"


class School(models.Model):
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="schools")
    # Text, never a number: leading zeros are part of the id.
    school_id = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    grade_low = models.CharField(max_length=2, blank=True)
    grade_high = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["district", "school_id"]
        constraints = [models.UniqueConstraint(fields=["district", "school_id"], name="school_id_unique_in_district")]

    def __str__(self) -> str:
        return f"{self.name} ({self.school_id})"
