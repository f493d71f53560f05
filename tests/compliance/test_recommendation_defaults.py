"""A default recommendation newer than the installation's library reaches its evaluations."""
from __future__ import annotations

import pytest

from compliance.models import RecommendationEntry
from compliance.pipeline import state_library
from compliance.rules.recommendation_library import REASSIGNMENT_KEY


@pytest.mark.django_db
def test_a_default_entry_newer_than_the_installation_reaches_its_evaluations():
    # An installation seeded before the "rebalance enrollment" entry existed has no row for it.
    RecommendationEntry.objects.filter(key=REASSIGNMENT_KEY).delete()
    library, _ = state_library()
    assert REASSIGNMENT_KEY in {e.key for e in library}
    # Once an administrator retires it (a row, inactive), the rows decide.
    RecommendationEntry.objects.create(key=REASSIGNMENT_KEY, version=1, title="Retired", body="x",
                                       rule_codes=["INT-01"], active=False)
    library, _ = state_library()
    assert REASSIGNMENT_KEY not in {e.key for e in library}
