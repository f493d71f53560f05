"""The admin: every model registered, lists render, review records read-only, failed checks queued again."""
from unittest import mock

import pytest
from django.apps import apps
from django.contrib import admin

from compliance.models import AuditEvent, Comment, Decision, Finding, Problem, Submission
from compliance.states import SubmissionStatus as S
from tests.factories import SubmissionFactory


def test_every_model_of_the_project_is_in_the_admin():
    models = [m for app in ("districts", "compliance") for m in apps.get_app_config(app).get_models()]
    missing = [m.__name__ for m in models if m not in admin.site._registry]
    assert missing == []
    assert len(models) >= 15


@pytest.mark.django_db
@pytest.mark.parametrize("model", [m for app in ("districts", "compliance")
                                   for m in apps.get_app_config(app).get_models()],
                         ids=lambda m: m.__name__)
def test_admin_changelist_renders(admin_client, model):
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert admin_client.get(url).status_code == 200


@pytest.mark.django_db
def test_review_records_cannot_be_edited_or_deleted_in_the_admin(admin_client):
    for model in (Finding, Decision, Comment, Problem):
        model_admin = admin.site._registry[model]
        request = type("R", (), {"user": None})()
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert set(model_admin.get_readonly_fields(request)) >= {"id"}


@pytest.mark.django_db
def test_admin_queues_a_failed_submission_again_and_refuses_others(admin_client, django_capture_on_commit_callbacks):
    failed = SubmissionFactory(status=S.FAILED)
    decided = SubmissionFactory(status=S.DECIDED)
    with mock.patch("compliance.tasks.evaluate_submission.delay") as delay, \
            django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/compliance/submission/", {
            "action": "requeue_failed", "_selected_action": [failed.pk, decided.pk]}, follow=True)
    assert response.status_code == 200
    assert Submission.objects.get(pk=failed.pk).status == S.QUEUED
    assert Submission.objects.get(pk=decided.pk).status == S.DECIDED
    delay.assert_called_once_with(submission_id=failed.pk)
    event = AuditEvent.objects.get(submission=failed)
    assert (event.from_status, event.to_status, event.actor.is_superuser) == (S.FAILED, S.QUEUED, True)
    assert [str(m) for m in response.context["messages"]] == ["A submission cannot go from 'decided' to 'queued'."]
