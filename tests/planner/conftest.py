"""A district with an evaluated submission of the zoned demo workbook, for the planner's views and browser test."""
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


def zoned_bytes(school_year: str, district_id: str) -> bytes:
    data = demo_workbook("zoned", school_year)
    data.district.district_id = district_id
    out = io.BytesIO()
    write_workbook(out, data)
    return out.getvalue()


def make_zoned_district(username: str = "dana.district"):
    """(district, submission, district user, cycle) with a real zoned workbook stored and an accepted evaluation."""
    cache.clear()
    cycle = ReportingCycleFactory()
    district = DistrictFactory(name="Riverside County Schools", state_id="2611")
    user = user_factory(Role.DISTRICT_SUBMITTER, [district], username=username)
    blob = zoned_bytes(cycle.school_year, district.state_id)
    sub = Submission.objects.create(
        district=district, cycle=cycle, version=1, file=ContentFile(blob, name="zoned.xlsx"),
        original_filename="zoned.xlsx", sha256=hashlib.sha256(blob).hexdigest(), size=len(blob), uploaded_by=user,
        status="evaluated",
    )
    EvaluationFactory(submission=sub)
    return district, sub, user, cycle


@pytest.fixture
def zoned_district(db):
    return make_zoned_district()
