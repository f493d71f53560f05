from unittest import mock

import pytest


@pytest.mark.django_db
def test_healthz_ok_when_database_and_broker_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_503_when_broker_unreachable(client):
    with mock.patch("config.health._broker_ok", return_value=(False, "OperationalError")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "OperationalError"


@pytest.mark.django_db
def test_healthz_503_when_database_unreachable(client):
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=RuntimeError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "RuntimeError"


def test_broker_check_really_connects_and_notices_a_dead_broker():
    from config.health import _broker_ok

    assert _broker_ok() == (True, "ok")
    ok, detail = _broker_ok("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert ok is False and detail
