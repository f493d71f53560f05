"""Redis stopped during uploads, then started again: nothing is lost, nobody sees a 500, nobody steps in.

The test starts its own redis-server (never the shared one on 6379); the worker and beat use it,
and so does this process for the uploads' sends. Redis keeps nothing across the restart
(``--save ""``), so even messages sent before the stop are gone: only the rows remain.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.models import AuditEvent, Submission
from compliance.models import SubmissionStatus as S
from config.celery import app
from tests.config.redis_server import PrivateRedis

from .processes import FAST_RECOVERY, wait_for, workbook_for


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sends_to(private_redis, monkeypatch):
    """This process's task sends go to the private Redis for the test, then back to the usual broker."""
    saved = app.conf.broker_url, app.conf.broker_transport_options
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (as CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)

    def reset_pools():
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_url = private_redis.url
    app.conf.broker_transport_options = {"socket_connect_timeout": 2, "socket_timeout": 2}
    reset_pools()
    assert f":{private_redis.port}/" in app.connection_for_write().as_uri()
    yield private_redis
    app.conf.broker_url, app.conf.broker_transport_options = saved
    reset_pools()


def _upload(client, district, cycle):
    upload = workbook_for(district.state_id, cycle.school_year)
    upload.name = f"{district.state_id}.xlsx"
    response = client.post(reverse("submission_upload", args=[district.pk]), {"file": upload})
    assert response.status_code == 302, response.content[:2000]  # to the submission's page, not a 500
    return Submission.objects.get(district=district)


@pytest.mark.broker
@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_uploads_while_redis_is_down_are_kept_and_evaluated_after_it_returns(
        client, pipeline, sends_to, districts, uploader, cycle):
    redis = sends_to
    p = pipeline(CELERY_BROKER_URL=redis.url)
    client.force_login(uploader)
    before = _upload(client, districts[0], cycle)
    redis.stop()
    during = [_upload(client, d, cycle) for d in districts[1:4]]
    assert all(s.status == S.QUEUED for s in during)  # kept and recorded as work to do
    redis.start()  # same port, empty: whatever was sent before the stop is gone too
    after = _upload(client, districts[4], cycle)

    everything = [before, *during, after]
    wait_for(lambda: Submission.objects.filter(pk__in=[s.pk for s in everything], status=S.EVALUATED).count() == 5,
             120, p, "every upload to be evaluated", every=1)
    assert p.worker is not None and p.worker.poll() is None and p.beat is not None and p.beat.poll() is None

    # Still consuming: a new upload is checked promptly, not only by a later sweep.
    latest = _upload(client, districts[5], cycle)
    wait_for(lambda: Submission.objects.get(pk=latest.pk).status == S.EVALUATED, 60, p, "a fresh upload")
    queued, started = (AuditEvent.objects.get(submission=latest, to_status=status).created_at
                       for status in (S.QUEUED, S.VALIDATING))
    # Sooner than the sweep could have sent it again (SWEEP_QUEUED_AFTER_SECONDS): the upload's own send.
    assert (started - queued).total_seconds() < float(FAST_RECOVERY["SWEEP_QUEUED_AFTER_SECONDS"]), p.logs()
