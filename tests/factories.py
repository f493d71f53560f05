"""factory_boy factories shared by the test suites.

Factories write rows directly (no services), so they queue no Celery work: a test that wants
the real upload path calls ``compliance.services.submission_create`` itself.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

import factory
from django.utils import timezone

from compliance.models import (
    Evaluation,
    EvaluationOutcome,
    Finding,
    Problem,
    Report,
    ReportingCycle,
    ReportKind,
    RuleSet,
    Submission,
    SubmissionStatus,
)
from compliance.rules.ruleset import default_params
from districts.models import District, Role, School, User

DEFAULT_PASSWORD = "correct-horse-battery-staple"  # every factory user's; test-only
DUMMY_XLSX = b"PK\x03\x04 not really a workbook; factories never evaluate it"
DUMMY_PDF = b"%PDF-1.4\n% test report\n%%EOF\n"


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    state_id = factory.Sequence(lambda n: f"MS-{n:04d}")
    nces_id = factory.Sequence(lambda n: f"{2800000 + n:07d}")
    name = factory.Sequence(lambda n: f"District {n} School District")
    state = "MS"
    region = "Central"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    district = factory.SubFactory(DistrictFactory)
    school_id = factory.Sequence(lambda n: f"{n:04d}")  # text, leading zeros kept
    name = factory.Sequence(lambda n: f"School {n} Elementary")
    grade_low = "K"
    grade_high = "5"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.DISTRICT_SUBMITTER
    password = factory.django.Password(DEFAULT_PASSWORD)

    @factory.post_generation
    def districts(self, create, extracted, **kwargs):
        if create and extracted:
            self.districts.set(extracted)


def user_factory(role: str, districts=(), **kwargs) -> User:
    """A saved user with ``role`` and (for district roles) access to ``districts``."""
    return UserFactory(role=role, districts=list(districts), **kwargs)


class RuleSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RuleSet

    name = factory.Sequence(lambda n: f"Test rules {n}")
    version = 1
    params = factory.LazyFunction(default_params)


class ReportingCycleFactory(factory.django.DjangoModelFactory):
    """An open cycle by default (opened 30 days ago, due in 14 days)."""

    class Meta:
        model = ReportingCycle
        django_get_or_create = ("school_year",)

    school_year = "2026-27"
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=60))
    rule_set = factory.SubFactory(RuleSetFactory)


def _next_version(sub) -> int:
    last = Submission.objects.filter(district=sub.district, cycle=sub.cycle).order_by("-version").first()
    return (last.version if last else 0) + 1


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A stored submission with a small dummy file; status defaults to evaluated."""

    class Meta:
        model = Submission
        skip_postgeneration_save = True

    district = factory.SubFactory(DistrictFactory)
    cycle = factory.SubFactory(ReportingCycleFactory)
    version = factory.LazyAttribute(_next_version)
    file = factory.django.FileField(data=DUMMY_XLSX, filename="workbook.xlsx")
    original_filename = "workbook.xlsx"
    sha256 = hashlib.sha256(DUMMY_XLSX).hexdigest()
    size = len(DUMMY_XLSX)
    uploaded_by = factory.SubFactory(UserFactory, role=Role.DISTRICT_SUBMITTER)
    status = SubmissionStatus.EVALUATED

    @factory.post_generation
    def uploader_in_district(self, create, extracted, **kwargs):
        # The uploader must belong to the district, as the upload service requires.
        if create and self.uploaded_by.is_district_user:
            self.uploaded_by.districts.add(self.district)


def sample_measures() -> dict:
    area = {
        "dissimilarity": {
            "multigroup": 0.412,
            "black_white": 0.538,
            "hispanic_white": None,
            "students_of_color_white": 0.47,
            "ed_not_ed": 0.31,
        },
        "theil_h": 0.21,
        "isolation": {"black": 0.62, "hispanic": None, "students_of_color": 0.7, "ed": 0.55},
        "exposure": {},
        "normalized_exposure": {"black": 0.3, "hispanic": None, "students_of_color": 0.25, "ed": 0.12},
        "share": {},
        "enrollment_total": 4210,
        "schools": 7,
    }
    return {"district": area, "bands": {}, "schools": []}


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evaluation

    submission = factory.SubFactory(SubmissionFactory)
    rule_set = factory.LazyAttribute(lambda e: e.submission.cycle.rule_set)
    rule_set_label = factory.LazyAttribute(lambda e: e.rule_set.label)
    finished_at = factory.LazyFunction(timezone.now)
    measures = factory.LazyFunction(sample_measures)
    outcome = EvaluationOutcome.ACCEPTED


class ProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Problem

    evaluation = factory.SubFactory(EvaluationFactory, outcome=EvaluationOutcome.REJECTED)
    code = "DATA-07"
    severity = "error"
    sheet = "Schools"
    row = factory.Sequence(lambda n: n + 2)
    column = "enrollment_total"
    value = "-3"
    message = "Enrollment cannot be negative."
    fix = "Enter the October count of enrolled students (0 or more)."


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    evaluation = factory.SubFactory(EvaluationFactory)
    rule = "INT-01"
    severity = "finding"
    scope = "school"
    school_id = "0001"
    band = "elementary"
    message = "Students of color are 71% of this school but 45% of elementary students district-wide."
    evidence = factory.LazyFunction(lambda: {"school_share": 0.71, "band_share": 0.45, "band": 0.15})
    recommendations = factory.LazyFunction(
        lambda: [{"key": "attendance-zones", "title": "Review attendance zone boundaries",
                  "estimate": {"students_to_move": 120}, "body": "", "sources": []}]
    )


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    evaluation = factory.SubFactory(EvaluationFactory)
    submission = factory.LazyAttribute(lambda r: r.evaluation.submission)
    kind = ReportKind.EVALUATION
    file = factory.django.FileField(data=DUMMY_PDF, filename="report.pdf")
    sha256 = hashlib.sha256(DUMMY_PDF).hexdigest()
    size = len(DUMMY_PDF)
