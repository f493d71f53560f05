"""Playwright against Debian's Chromium (never `playwright install`), beside the Django test database."""
from __future__ import annotations

import os

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    # Playwright's sync API keeps an event loop running in this thread, so the ORM (the test
    # database setup included) would refuse to run. Session-wide because the database is too.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _browser_django(settings):
    # Pages are driven as a user would: nothing queued runs inside the request. (The fast
    # password hasher and the per-test media directory come from tests/conftest.py.)
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture
def demo_cycle(settings):
    """``seed_demo``'s state (four districts, one user per role, the open cycle): the cycle."""
    from django.core.management import call_command

    from compliance.models import ReportingCycle, RuleSet
    from compliance.rules.ruleset import DEFAULT_RULE_SET_NAME
    from tests.factories import RuleSetFactory

    settings.DEV = True  # seed_demo refuses to run outside the dev profile
    if not RuleSet.objects.filter(name=DEFAULT_RULE_SET_NAME).exists():  # flushed by an earlier transactional test
        RuleSetFactory(name=DEFAULT_RULE_SET_NAME)
    call_command("seed_demo")
    return ReportingCycle.objects.get()
