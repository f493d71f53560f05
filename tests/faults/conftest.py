"""Fixtures of the fault tests: a pipeline of real processes, districts enough for parallel uploads."""
from __future__ import annotations

import pytest

from config.celery import app
from districts.models import Role
from tests.factories import DistrictFactory, user_factory

from .processes import Pipeline


@pytest.fixture(autouse=True)
def _sends_in_background(settings):
    """As in production: this process's sends go through the sending thread (the suite's default is off)."""
    settings.BROKER_SEND_IN_BACKGROUND = True


@pytest.fixture
def pipeline(settings, tmp_path):
    """Call with extra environment to start a worker and beat; both are stopped at the end."""
    started: list[Pipeline] = []

    def start(queues: str = "evaluation", **env: str) -> Pipeline:
        # Messages left by earlier tests must not reach this worker. A connection of its own:
        # an earlier test may have closed the app's shared pool.
        with app.connection_for_write() as conn:
            app.control.purge(connection=conn)
        p = Pipeline(tmp_path, settings.MEDIA_ROOT, queues=queues, **env)
        p.start_worker()
        p.start_beat()
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


@pytest.fixture
def districts(db):
    """Ten districts (an upload waits while the district's earlier version is being checked)."""
    return [DistrictFactory(state_id=f"90{i:02d}", name=f"Fault District {i}") for i in range(10)]


@pytest.fixture
def uploader(districts):
    return user_factory(Role.DISTRICT_SUBMITTER, districts, username="fault-submitter")
