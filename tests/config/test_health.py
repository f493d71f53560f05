"""/healthz: database, broker and worker heartbeat, each named when it fails."""
from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from config.models import WorkerHeartbeat
from config.worker_heartbeat import heartbeat_write, stale_heartbeats_delete, worker_is_fresh


@pytest.fixture
def fresh_worker(db):
    return WorkerHeartbeat.objects.create(hostname="celery@w1", seen_at=timezone.now() - timedelta(seconds=20))


@pytest.mark.django_db
def test_healthz_ok_when_database_broker_and_a_worker_are_fine(client, fresh_worker):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "worker": "ok"}


@pytest.mark.django_db
def test_healthz_503_when_broker_unreachable(client, fresh_worker):
    with mock.patch("config.health._broker_ok", return_value=(False, "OperationalError")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "OperationalError"
    assert response.json()["failed"] == ["broker"]


@pytest.mark.django_db
def test_healthz_503_when_database_unreachable(client, fresh_worker):
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=RuntimeError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "RuntimeError: down"
    assert body["failed"] == ["database", "worker"]  # without the database nobody can tell about workers


@pytest.mark.django_db
def test_healthz_503_when_no_worker_ever_reported(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "no worker has ever reported"
    assert response.json()["failed"] == ["worker"]


@pytest.mark.django_db
def test_healthz_503_when_the_last_heartbeat_is_older_than_the_limit(client, settings):
    settings.HEALTHZ_WORKER_STALE_SECONDS = 180
    WorkerHeartbeat.objects.create(hostname="celery@w1", seen_at=timezone.now() - timedelta(seconds=200))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"].startswith("no worker heartbeat for 20")  # 200 s (and a little)


@pytest.mark.django_db
def test_the_newest_of_several_workers_counts():
    now = timezone.now()
    WorkerHeartbeat.objects.create(hostname="celery@old", seen_at=now - timedelta(hours=3))
    WorkerHeartbeat.objects.create(hostname="celery@new", seen_at=now - timedelta(seconds=5))
    assert worker_is_fresh(now) == (True, "ok")
    assert stale_heartbeats_delete(older_than=timedelta(hours=1)) == 1
    assert list(WorkerHeartbeat.objects.values_list("hostname", flat=True)) == ["celery@new"]


@pytest.mark.django_db
def test_a_beat_overwrites_the_workers_row():
    heartbeat_write(hostname="celery@w1")
    first = WorkerHeartbeat.objects.get().seen_at
    heartbeat_write(hostname="celery@w1")
    assert WorkerHeartbeat.objects.count() == 1
    assert WorkerHeartbeat.objects.get().seen_at >= first


def test_broker_check_really_connects_and_notices_a_dead_broker(settings):
    from config.health import _broker_ok

    assert _broker_ok() == (True, "ok")
    ok, detail = _broker_ok("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert ok is False and "ConnectionError" in detail


def test_filesystem_broker_check_notices_a_missing_queue_folder(settings, tmp_path):
    from config.health import _broker_ok

    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "absent")}
    ok, detail = _broker_ok("filesystem://")
    assert ok is False and "absent" in detail
