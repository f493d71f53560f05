import pytest
from django.apps import apps
from django.contrib import admin


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
    from compliance.models import Comment, Decision, Finding, Problem

    for model in (Finding, Decision, Comment, Problem):
        model_admin = admin.site._registry[model]
        request = type("R", (), {"user": None})()
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert set(model_admin.get_readonly_fields(request)) >= {"id"}
