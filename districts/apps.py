"""The districts app: the state's directory of districts and schools, and the user model."""
from django.apps import AppConfig


class DistrictsConfig(AppConfig):
    name = "districts"
    default_auto_field = "django.db.models.BigAutoField"
