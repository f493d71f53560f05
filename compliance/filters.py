"""django-filter sets for the review queue, the problems table and the findings."""
from __future__ import annotations

from typing import Any, cast

import django_filters
from django import forms
from django.db.models import Count, F, Q, QuerySet
from django_filters.fields import ModelChoiceField

from .models import Finding, Problem, ReportingCycle, ReviewStatus, Submission
from .selectors_review import overdue_q
from .states import STATE_LISTED, UNDER_REVIEW

# The query parameters of the review queue (a saved view keeps only these).
QUEUE_PARAMS = ("cycle", "status", "district", "region", "severity", "assigned", "overdue", "sort")


# The queue's sorts: name -> (label, ordering). Submissions without a due date (never certified) sort last.
QUEUE_SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "due": ("Review due date, soonest first", (F("review_due").asc(nulls_last=True), "pk")),
    "severity": ("Highest severity first", ("-top_severity", F("review_due").asc(nulls_last=True), "pk")),
    "age": ("Waiting longest first", (F("certified_at").asc(nulls_last=True), "pk")),
    "district": ("District, A to Z", ("district__name", "cycle__school_year", "version", "pk")),
}
# Highest severity among the newest evaluation's findings (selectors_review.SEVERITY_RANK).
SEVERITY_FACETS = {"finding": ("Findings", Q(top_severity=3)),
                   "warning": ("Warnings, no findings", Q(top_severity=2)),
                   "none": ("No findings or warnings", Q(top_severity__lte=1))}
ASSIGNED_CHOICES = [("me", "Assigned to me"), ("none", "Unassigned")]
OVERDUE_CHOICES = [("yes", "Overdue only")]
ANY_STATUS = "all"


class CountedModelChoiceField(ModelChoiceField):
    """A model's options, each with how many submissions it has (``counts``: pk -> submissions)."""

    counts: dict[Any, int] | None = None

    def label_from_instance(self, obj) -> str:
        label = str(getattr(obj, "name", obj))
        return label if self.counts is None else f"{label} ({self.counts.get(obj.pk, 0)})"


class CountedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = CountedModelChoiceField


class ReviewQueueFilter(django_filters.FilterSet):
    """The team's queue: filters with a count per value, and a sort.

    Filters a queryset the caller got from ``selectors_review.queue_submissions`` (permissions already
    apply; ``review_due``, ``overdue_q`` and ``top_severity`` are annotated there). No status chosen: the
    open reviews (waiting, in review, awaiting sign-off).
    """

    cycle = CountedModelChoiceFilter(queryset=ReportingCycle.objects.all(), label="Reporting cycle",
                                     empty_label="All cycles")
    status = django_filters.ChoiceFilter(
        choices=[*((s.value, s.label) for s in STATE_LISTED), (ANY_STATUS, "Any status")], label="Status",
        empty_label="Open reviews", method="filter_status")
    district = CountedModelChoiceFilter(queryset=None, label="District", empty_label="All districts")
    region = django_filters.ChoiceFilter(field_name="district__region", choices=[], label="Region",
                                         empty_label="All regions")
    severity = django_filters.ChoiceFilter(choices=[(k, label) for k, (label, _) in SEVERITY_FACETS.items()],
                                           label="Highest severity", empty_label="Any severity",
                                           method="filter_severity")
    assigned = django_filters.ChoiceFilter(choices=ASSIGNED_CHOICES, label="Assigned to", empty_label="Anyone",
                                           method="filter_assigned")
    overdue = django_filters.ChoiceFilter(choices=OVERDUE_CHOICES, label="Overdue", empty_label="Overdue or not",
                                          method="filter_overdue")
    sort = django_filters.ChoiceFilter(choices=[(k, label) for k, (label, _) in QUEUE_SORTS.items()],
                                       label="Sort by", empty_label=None, method="filter_sort")

    class Meta:
        model = Submission
        fields = ["cycle", "status", "district", "region", "severity", "assigned", "overdue", "sort"]

    def __init__(self, *args, districts: QuerySet, regions: list[str], user, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.now = user, now
        self.filters["district"].queryset = districts
        self.filters["region"].extra["choices"] = [(r, r) for r in regions]

    def filter_status(self, queryset, name, value):
        return queryset.filter(status__in=STATE_LISTED) if value == ANY_STATUS else queryset.filter(status=value)

    def filter_severity(self, queryset, name, value):
        return queryset.filter(SEVERITY_FACETS[value][1])

    def filter_assigned(self, queryset, name, value):
        return queryset.filter(reviewer=self.user) if value == "me" else queryset.filter(reviewer__isnull=True)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q(self.now))

    def filter_sort(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def _filtered(self, queryset, skip: str = ""):
        """The queryset with every chosen filter but ``skip``: a facet counts what its other filters leave."""
        data = self.form.cleaned_data
        for name, value in data.items():
            if name not in (skip, "sort"):
                queryset = self.filters[name].filter(queryset, value)
        if skip != "status" and not data.get("status"):
            queryset = queryset.filter(status__in=UNDER_REVIEW)
        return queryset

    def filter_queryset(self, queryset):
        sort = self.form.cleaned_data.get("sort") or "due"
        return self._filtered(queryset).order_by(*QUEUE_SORTS[sort][1])

    def facet_counts(self) -> dict[str, dict[Any, int]]:
        """filter name -> {value: submissions}, each under the other filters (one query per filter).

        The blank value counts what the filter's "all" option shows (for status: the open reviews).
        """
        self.errors  # noqa: B018  (validates the form, as ``qs`` does)
        counts: dict[str, dict[Any, int]] = {}
        for name, path in (("cycle", "cycle_id"), ("district", "district_id"), ("region", "district__region"),
                           ("status", "status")):
            rows = self._filtered(self.queryset, skip=name).order_by().values(path).annotate(n=Count("pk"))
            by_value = {row[path]: row["n"] for row in rows}
            counts[name] = {**by_value, "": sum(by_value.values())}
        statuses = counts["status"]
        statuses[ANY_STATUS] = sum(n for status, n in statuses.items() if status in STATE_LISTED)
        statuses[""] = sum(n for status, n in statuses.items() if status in UNDER_REVIEW)
        conditional = {
            "severity": {k: q for k, (_, q) in SEVERITY_FACETS.items()},
            "assigned": {"me": Q(reviewer=self.user), "none": Q(reviewer__isnull=True)},
            "overdue": {"yes": overdue_q(self.now)},
        }
        for name, facets in conditional.items():
            totals = self._filtered(self.queryset, skip=name).aggregate(
                **{f"v_{key}": Count("pk", filter=q) for key, q in facets.items()}, v_=Count("pk"))
            counts[name] = {key[2:]: n for key, n in totals.items()}
        return counts

    def label_counts(self) -> dict[str, dict[Any, int]]:
        """Show each value's count in its option ("In state review (4)"); returns the counts."""
        counts = self.facet_counts()
        for name, field in self.form.fields.items():
            by_value = counts.get(name)
            if by_value is None:  # the sort
                continue
            # django-filter's fields add their blank choice ("All ...") themselves, from ``empty_label``.
            field.empty_label = f"{field.empty_label} ({by_value['']})"
            if isinstance(field, CountedModelChoiceField):
                field.counts = by_value
            else:
                assert isinstance(field, forms.ChoiceField)
                choices = cast("list[tuple[Any, str]]", field.choices)
                field.choices = [(value, f"{label} ({by_value.get(value, 0)})") for value, label in choices
                                 if value != ""]
        return counts


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
