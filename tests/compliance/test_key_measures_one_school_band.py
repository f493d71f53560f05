"""The screen's key measures treat a band of one school as the report does: no column, one note."""
from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.presenters import measures_table
from tests.factories import EvaluationFactory, SubmissionFactory, UserFactory, sample_measures


def _measures() -> dict:
    """Two elementary schools (D 0.2) and one high school, whose D, CV... are 0 by construction."""
    measures = sample_measures()
    elementary = {"dissimilarity": {"multigroup": 0.2}, "theil_h": 0.1}
    high = {"dissimilarity": {"multigroup": 0.0}, "theil_h": 0.0}
    measures["bands"] = {"elementary": elementary, "high": high}
    measures["schools"] = [
        {"school_id": "1", "band": "elementary", "enrollment_total": 300},
        {"school_id": "2", "band": "elementary", "enrollment_total": 250},
        {"school_id": "3", "band": "high", "enrollment_total": 900},
        {"school_id": "4", "band": "middle", "enrollment_total": 0},  # no students: not counted
    ]
    return measures


def test_a_one_school_band_has_no_column_and_a_note():
    table = measures_table(_measures())
    assert table["columns"] == ["District", "Elementary"] and all(len(cells) == 2 for _, cells in table["rows"])
    assert table["note"] == "High (9\u201312): not applicable (one school)"
    assert table["rows"][0] == ("Multigroup dissimilarity", ["0.412", "0.200"])


@pytest.mark.django_db
def test_the_submission_page_prints_the_note_in_the_table_caption(client):
    submission = SubmissionFactory()
    EvaluationFactory(submission=submission, measures=_measures())
    client.force_login(UserFactory(role="state_reviewer"))
    html = client.get(reverse("submission_detail", args=[submission.pk])).content.decode()
    assert ("<caption>District-wide and grade band measures (High (9\u201312): not applicable (one school))"
            "</caption>") in html
