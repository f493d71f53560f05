"""The audit trail cannot be rewritten, and every file someone takes away is in it (who, what, how)."""
from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from compliance.models import AuditEvent, AuditTrailIsAppendOnly, ReportKind
from compliance.states import SubmissionStatus as S
from tests.api.conftest import Api, get_token
from tests.factories import ReportFactory, SubmissionFactory

from .test_review_comments import _evaluated

# --- Append-only ------------------------------------------------------------------------------


@pytest.fixture
def event(district, cycle, submitter, reviewer):
    submission = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter, status=S.CERTIFIED)
    return AuditEvent.objects.create(submission=submission, actor=reviewer, action="claimed",
                                     from_status=S.CERTIFIED, to_status=S.IN_REVIEW)


@pytest.mark.django_db
def test_an_event_takes_its_district_from_its_submission(event, district):
    assert AuditEvent.objects.get(pk=event.pk).district_id == district.pk


@pytest.mark.django_db
def test_no_way_through_the_orm_rewrites_or_removes_an_event(event):
    events = AuditEvent.objects.filter(pk=event.pk)
    with pytest.raises(AuditTrailIsAppendOnly):
        events.update(note="rewritten")
    with pytest.raises(AuditTrailIsAppendOnly):
        events.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.submission.audit_events.all().delete()  # the related manager is the same queryset
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    event.note = "rewritten"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly), transaction.atomic():  # it opens a transaction of its own
        AuditEvent.objects.bulk_update([event], ["note"])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.note, stored.action, stored.actor_name) == ("", "claimed", "reviewer (reviewer)")


@pytest.mark.django_db
def test_a_submission_with_events_and_a_user_who_acted_cannot_be_deleted(event, reviewer):
    with pytest.raises(ProtectedError):
        event.submission.delete()
    with pytest.raises(ProtectedError):
        reviewer.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_the_database_refuses_rewrites_on_postgresql(event):
    """Migration 0012's trigger: raw SQL cannot go around the model on PostgreSQL (the product's database)."""
    table = AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        for sql in (f"UPDATE {table} SET note = 'x' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
            with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql, [event.pk])
        assert AuditEvent.objects.get(pk=event.pk).note == ""
    else:
        # The embedded SQLite database has no trigger: the migration leaves it alone.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
            assert cursor.fetchone()[0] == 0


# --- Downloads --------------------------------------------------------------------------------


@pytest.fixture
def evaluated(district, cycle, submitter):
    submission, evaluation = _evaluated(district, cycle, submitter)
    ReportFactory(evaluation=evaluation, submission=submission, kind=ReportKind.EVALUATION)
    return submission


def downloads():
    return list(AuditEvent.objects.filter(action="downloaded").order_by("pk").values_list(
        "actor_name", "submission_id", "district_id", "subject", "note"))


@pytest.mark.django_db
def test_every_web_download_is_recorded_with_who_and_which_file(client, evaluated, submitter, reviewer, district):
    s = evaluated
    base = f"2611-2026-27-v{s.version}"
    client.force_login(submitter)
    for url in (f"/submissions/{s.pk}/workbook.xlsx", f"/submissions/{s.pk}/marked.xlsx",
                f"/submissions/{s.pk}/reports/evaluation.pdf", f"/submissions/{s.pk}/exports/schools.csv",
                f"/submissions/{s.pk}/exports/findings.csv", f"/districts/{district.pk}/template.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
    client.force_login(reviewer)
    assert client.get(f"/statewide/{s.cycle.pk}/export/public.csv?table=districts").status_code == 200
    who = "submitter (submitter)"
    assert downloads() == [
        (who, s.pk, district.pk, f"Original workbook: {base}-original.xlsx", ""),
        (who, s.pk, district.pk, f"Marked workbook: {base}-marked.xlsx", ""),
        (who, s.pk, district.pk, f"Findings report (PDF): {base}-evaluation.pdf", ""),
        (who, s.pk, district.pk, f"Per-school data (CSV): {base}-schools.csv", ""),
        (who, s.pk, district.pk, f"Findings export (CSV): {base}-findings.csv", ""),
        (who, None, district.pk, "Workbook template: equity-workbook-2611-2026-27.xlsx", ""),
        ("reviewer (reviewer)", None, None,
         "Statewide public export of 2026-27 (CSV): cycle-2026-27-public-districts.csv", ""),
    ]


@pytest.mark.django_db
def test_api_downloads_are_recorded_as_such(client, evaluated, certifier, reviewer):
    s = evaluated
    api = Api(client, get_token(client, certifier.username))
    for url in (f"/api/v1/submissions/{s.pk}/original.xlsx", f"/api/v1/submissions/{s.pk}/marked.xlsx",
                f"/api/v1/submissions/{s.pk}/report.pdf"):
        assert api.get(url).status_code == 200, url
    state = Api(client, get_token(client, reviewer.username))
    assert state.get(f"/api/v1/cycles/{s.cycle.pk}/export?variant=state&format=xlsx").status_code == 200
    base = f"2611-2026-27-v{s.version}"
    assert [(who, subject, note) for who, _, _, subject, note in downloads()] == [
        ("certifier (certifier)", f"Original workbook: {base}-original.xlsx", "Through the API."),
        ("certifier (certifier)", f"Marked workbook: {base}-marked.xlsx", "Through the API."),
        ("certifier (certifier)", f"Findings report (PDF): {base}-evaluation.pdf", "Through the API."),
        ("reviewer (reviewer)", "Statewide state export of 2026-27 (XLSX): cycle-2026-27-state.xlsx",
         "Through the API."),
    ]


@pytest.mark.django_db
def test_refused_or_missing_downloads_record_nothing(client, evaluated, user_b, submitter):
    s = evaluated
    client.force_login(user_b)  # another district's user: the submission does not exist for them
    assert client.get(f"/submissions/{s.pk}/workbook.xlsx").status_code == 404
    assert client.get(f"/statewide/{s.cycle.pk}/export/state.csv").status_code == 403
    client.force_login(submitter)
    assert client.get(f"/submissions/{s.pk}/reports/decision.pdf").status_code == 404  # not decided: no such PDF
    assert downloads() == []


@pytest.mark.django_db
def test_downloads_stay_off_the_submission_pages_history(client, evaluated, submitter):
    s = evaluated
    client.force_login(submitter)
    client.get(f"/submissions/{s.pk}/workbook.xlsx")
    page = client.get(f"/submissions/{s.pk}/")
    assert [e.action for e, _ in page.context["events"]] == [
        "uploaded", "status:queued", "evaluation_started", "evaluation_finished"]
    assert len(downloads()) == 1


@pytest.mark.django_db
def test_what_if_plan_downloads_are_recorded_against_the_district(client):
    from django.urls import reverse

    from planner.models import Plan
    from tests.planner.conftest import make_zoned_district

    district, _, user, _ = make_zoned_district()
    client.force_login(user)
    client.post(reverse("planner_draft_lever_add", args=[district.pk]),
                {"kind": "close", "school_id": "0312"})
    client.post(reverse("planner_draft_save", args=[district.pk]), {"name": "Close Oak"})
    plan = Plan.objects.get()
    assert client.get(reverse("planner_plan_proposed", args=[plan.pk])).status_code == 200
    assert client.get(reverse("planner_plan_summary", args=[plan.pk])).status_code == 200
    who = f"{user.get_full_name()} (dana.district)"
    assert downloads() == [
        (who, None, district.pk, "What-if plan workbook: riverside-county-schools-close-oak.xlsx", ""),
        (who, None, district.pk, "What-if plan summary (PDF): riverside-county-schools-close-oak.pdf", ""),
    ]
