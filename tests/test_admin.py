import pytest
from django.apps import apps
from django.contrib import admin


def test_every_model_of_the_project_is_in_the_admin():
    models = [m for app in ("districts", "compliance") for m in apps.get_app_config(app).get_models()]
    missing = [m.__name__ for m in models if m not in admin.site._registry]
    assert missing == []
    assert len(models) >= 15


@pytest.mark.django_db
@pytest.mark.parametrize("model", [m for app in ("districts", "compliance") for m in apps.get_app_config(app).get_models()],
                         ids=lambda m: m.__name__)
def test_admin_changelist_renders(admin_client, model):
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert admin_client.get(url).status_code == 200
