"""django-filter sets for the review queue and the problems table."""
from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from .models import Finding, Problem, ReportingCycle, ReviewStatus, Submission
from .states import CLAIMABLE, STATE_LISTED


class ReviewQueueFilter(django_filters.FilterSet):
    """Filters a queryset the caller got from the selectors (so permissions already apply)."""

    district = django_filters.ModelChoiceFilter(queryset=None, label="District", empty_label="All districts")
    cycle = django_filters.ModelChoiceFilter(
        queryset=ReportingCycle.objects.all(), label="Reporting cycle", empty_label="All cycles"
    )
    status = django_filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in STATE_LISTED],
        label="Status",
        empty_label="Waiting for review",
        method="filter_status",
    )

    class Meta:
        model = Submission
        fields = ["district", "cycle", "status"]

    def __init__(self, *args, districts: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["district"].queryset = districts

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)

    def filter_queryset(self, queryset):
        qs = super().filter_queryset(queryset)
        # No status chosen: the queue proper, certified submissions waiting for a reviewer.
        if not self.form.cleaned_data.get("status"):
            qs = qs.filter(status__in=CLAIMABLE)
        return qs.order_by("status_changed_at", "pk")


class ProblemFilter(django_filters.FilterSet):
    severity = django_filters.ChoiceFilter(
        choices=[("error", "Errors"), ("warning", "Warnings")], label="Severity", empty_label="All severities"
    )
    sheet = django_filters.ChoiceFilter(choices=[], label="Sheet", empty_label="All sheets")

    class Meta:
        model = Problem
        fields = ["severity", "sheet"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer only the sheets this evaluation's problems name.
        sheets = sorted({s for s in self.queryset.values_list("sheet", flat=True) if s})
        self.filters["sheet"].extra["choices"] = [(s, s) for s in sheets]


FINDING_SEVERITIES = {"finding": "Finding", "warning": "Warning", "info": "Note"}


class FindingFilter(django_filters.FilterSet):
    """Findings of one evaluation by rule, severity and review status (default: all).

    Parameter names differ from ProblemFilter's, so both filters can share one page's query.
    """

    rule = django_filters.ChoiceFilter(choices=[], label="Rule", empty_label="All rules")
    finding_severity = django_filters.ChoiceFilter(
        field_name="severity", choices=[], label="Severity", empty_label="All severities"
    )
    review_status = django_filters.ChoiceFilter(
        choices=ReviewStatus.choices, label="Review status", empty_label="Any review status"
    )

    class Meta:
        model = Finding
        fields = ["rule", "finding_severity", "review_status"]

    def __init__(self, *args, rule_names: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer only the rules and severities this evaluation's findings have.
        rule_names = rule_names or {}
        rules = sorted(set(self.queryset.values_list("rule", flat=True)))
        self.filters["rule"].extra["choices"] = [
            (r, f"{r} {rule_names[r]}" if r in rule_names else r) for r in rules
        ]
        present = set(self.queryset.values_list("severity", flat=True))
        self.filters["finding_severity"].extra["choices"] = [
            *((s, label) for s, label in FINDING_SEVERITIES.items() if s in present),
            *((s, s.capitalize()) for s in sorted(present - set(FINDING_SEVERITIES))),
        ]
