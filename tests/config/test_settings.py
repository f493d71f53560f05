"""Settings fail closed: no default secret, no DEBUG in production, malformed env is an error."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DJANGO_DEV", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL",
                          "DJANGO_OFFLINE_COMMAND"}}
    clean.update(env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings"},
                          capture_output=True, text=True, timeout=60)


def test_production_without_secret_key_refuses_to_start():
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_debug_outside_dev_profile_refuses_to_start():
    result = load_settings(SECRET_KEY="s" * 50, DEBUG="1")
    assert result.returncode != 0
    assert "DEBUG=1 is only allowed with the dev profile" in result.stderr


def test_malformed_boolean_is_an_error_not_a_default():
    result = load_settings(SECRET_KEY="s" * 50, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_production_must_name_its_database_and_broker():
    result = load_settings(SECRET_KEY="s" * 50, CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert result.returncode != 0 and "DATABASE_URL is required" in result.stderr
    result = load_settings(SECRET_KEY="s" * 50, DATABASE_URL="sqlite:////tmp/x.sqlite3")
    assert result.returncode != 0 and "CELERY_BROKER_URL is required" in result.stderr


def test_offline_commands_need_no_secret_but_the_server_does():
    result = load_settings(DJANGO_OFFLINE_COMMAND="1")
    assert result.returncode == 0, result.stderr
    two = [load_settings(DJANGO_OFFLINE_COMMAND="1").stdout for _ in range(2)]
    assert two[0] == two[1] == "False []\n"
    assert load_settings().returncode != 0


def test_production_defaults_are_closed():
    result = load_settings(SECRET_KEY="s" * 50, ALLOWED_HOSTS="checker.example.gov",
                           DATABASE_URL="sqlite:////tmp/x.sqlite3", CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['checker.example.gov']"


def test_suite_runs_on_the_services_it_claims(settings):
    """CI sets REQUIRE_REAL_SERVICES: then the suite must be on PostgreSQL and Redis, not the fallbacks."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if os.environ.get("REQUIRE_REAL_SERVICES") == "1":
        assert engine == "django.db.backends.postgresql"
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    elif "DATABASE_URL" not in os.environ:
        assert engine == "django.db.backends.sqlite3"
        assert Path(settings.DATABASES["default"]["TEST"]["NAME"]).parent == settings.VAR_DIR
