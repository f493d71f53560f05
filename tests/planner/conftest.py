"""Districts with an evaluated submission of a demo workbook, for the planner's views and browser tests."""
from __future__ import annotations

import hashlib
import io

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile

from compliance.demo import demo_workbook
from compliance.models import Submission
from compliance.workbook.template import write_workbook
from districts.models import Role
from tests.factories import DistrictFactory, EvaluationFactory, ReportingCycleFactory, user_factory


def demo_bytes(key: str, school_year: str, district_id: str) -> bytes:
    data = demo_workbook(key, school_year)
    data.district.district_id = district_id
    out = io.BytesIO()
    write_workbook(out, data)
    return out.getvalue()


def make_demo_district(key: str, name: str, state_id: str, username: str):
    """(district, submission, district user, cycle) with a real demo workbook stored and an accepted evaluation."""
    cache.clear()
    cycle = ReportingCycleFactory()
    district = DistrictFactory(name=name, state_id=state_id)
    user = user_factory(Role.DISTRICT_SUBMITTER, [district], username=username)
    blob = demo_bytes(key, cycle.school_year, district.state_id)
    sub = Submission.objects.create(
        district=district, cycle=cycle, version=1, file=ContentFile(blob, name=f"{key}.xlsx"),
        original_filename=f"{key}.xlsx", sha256=hashlib.sha256(blob).hexdigest(), size=len(blob), uploaded_by=user,
        status="evaluated",
    )
    EvaluationFactory(submission=sub)
    return district, sub, user, cycle


def make_zoned_district(username: str = "dana.district"):
    return make_demo_district("zoned", "Riverside County Schools", "2611", username)


@pytest.fixture
def zoned_district(db):
    return make_zoned_district()


@pytest.fixture
def large_district(db):
    return make_demo_district("large", "Capital City Public Schools", "2500", "cap.planner")
