"""The accounts app: password reset and second-factor views (no models of its own)."""
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
