"""Settings fail closed: no default secret, no DEBUG in production, malformed env is an error."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


SETTINGS_ENV = {"DJANGO_DEV", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL",
                "DJANGO_OFFLINE_COMMAND", "BEHIND_TLS_PROXY", "TRUSTED_PROXY_COUNT", "SESSION_COOKIE_AGE",
                "CELERY_TASK_TIME_LIMIT", "CELERY_TASK_SOFT_TIME_LIMIT", "CELERY_BROKER_VISIBILITY_TIMEOUT",
                "EVALUATION_LEASE_SECONDS"}
DEFAULT_CODE = ("import django; django.setup(); from django.conf import settings; "
                "print(settings.DEBUG, settings.ALLOWED_HOSTS)")


def clean_env(**env: str) -> dict[str, str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests (Playwright); a deployment never has it.
    clean = {k: v for k, v in os.environ.items()
             if k not in SETTINGS_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE" and not k.startswith(("SECURE_", "EMAIL_"))}
    return {**clean, **env, "DJANGO_SETTINGS_MODULE": "config.settings"}


def load_settings(code: str = DEFAULT_CODE, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_env(**env),
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


TIMING = ("import django; django.setup(); from django.conf import settings as s; "
          "print(s.CELERY_TASK_SOFT_TIME_LIMIT, s.CELERY_TASK_TIME_LIMIT, s.CELERY_BROKER_VISIBILITY_TIMEOUT, "
          "s.EVALUATION_LEASE_SECONDS, s.CELERY_BROKER_TRANSPORT_OPTIONS.get('visibility_timeout'))")


def test_task_limits_and_visibility_timeout_come_from_the_environment():
    redis = {"DJANGO_DEV": "1", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}
    assert load_settings(TIMING, **redis).stdout.split() == ["840", "900", "960", "60", "960"]
    result = load_settings(TIMING, **redis, CELERY_TASK_SOFT_TIME_LIMIT="100", CELERY_TASK_TIME_LIMIT="120",
                           CELERY_BROKER_VISIBILITY_TIMEOUT="150", EVALUATION_LEASE_SECONDS="30")
    assert result.stdout.split() == ["100", "120", "150", "30", "150"], result.stderr


def test_contradictory_task_limits_refuse_to_start():
    result = load_settings(TIMING, DJANGO_DEV="1", CELERY_TASK_TIME_LIMIT="1200")  # visibility stays 960
    assert result.returncode != 0 and "must exceed CELERY_TASK_TIME_LIMIT (1200)" in result.stderr
    result = load_settings(TIMING, DJANGO_DEV="1", CELERY_TASK_SOFT_TIME_LIMIT="900")
    assert result.returncode != 0 and "below CELERY_TASK_TIME_LIMIT (900)" in result.stderr
    result = load_settings(TIMING, DJANGO_DEV="1", CELERY_BROKER_VISIBILITY_TIMEOUT="soon")
    assert result.returncode != 0 and "must be a whole number" in result.stderr


def test_postgres_connections_time_out_in_seconds():
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['OPTIONS'])")
    result = load_settings(code, DJANGO_DEV="1", DATABASE_URL="postgres://u@db.invalid:5432/x")
    assert result.stdout.strip() == "{'connect_timeout': 2}", result.stderr


# The README's production settings (section "Production"), on a throwaway SQLite file.
PRODUCTION_ENV = {
    "SECRET_KEY": "k3y-" + "x7Qw9zR2" * 8, "ALLOWED_HOSTS": "checker.example.gov",
    "CSRF_TRUSTED_ORIGINS": "https://checker.example.gov", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "BEHIND_TLS_PROXY": "1", "SECURE_SSL_REDIRECT": "1", "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1", "SECURE_HSTS_PRELOAD": "1",
}


def test_check_deploy_is_clean_with_the_readme_production_settings(tmp_path):
    env = clean_env(**PRODUCTION_ENV, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
