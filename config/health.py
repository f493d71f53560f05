"""/healthz: the database, the broker and a recent worker heartbeat; 200 when all are fine, 503 naming what failed.

Every check gives up within about BROKER_SOCKET_TIMEOUT_SECONDS (the database within its
connect_timeout), so a hung Redis or PostgreSQL costs this request seconds, not minutes.
"""
from __future__ import annotations

from pathlib import Path

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app
from config.worker_heartbeat import worker_is_fresh


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return False, _failure(exc)


def _redis_ping(url: str) -> None:
    timeout = settings.BROKER_SOCKET_TIMEOUT_SECONDS
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                  retry_on_timeout=False, retry=None)
    try:
        client.ping()
    finally:
        client.close()


def _filesystem_ok() -> None:
    folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
    if not folder.is_dir():
        raise FileNotFoundError(f"queue folder {folder} is missing")


def _broker_ok(url: str | None = None) -> tuple[bool, str]:
    url = url or str(settings.CELERY_BROKER_URL)
    try:
        if url.startswith(("redis://", "rediss://")):
            _redis_ping(url)
        elif url.startswith("filesystem://"):
            _filesystem_ok()
        else:
            with app.connection_for_write(url) as conn:
                conn.ensure_connection(max_retries=1, timeout=settings.BROKER_SOCKET_TIMEOUT_SECONDS)
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
        return False, _failure(exc)


def _worker_ok(database_ok: bool) -> tuple[bool, str]:
    if not database_ok:
        return False, "unknown: the database is unreachable"
    try:
        return worker_is_fresh()
    except Exception as exc:  # noqa: BLE001
        return False, _failure(exc)


@never_cache
@require_GET
def healthz(request):
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    worker_ok, worker_detail = _worker_ok(db_ok)
    body: dict[str, str | list[str]] = {"database": db_detail, "broker": broker_detail, "worker": worker_detail}
    failed = [name for name, ok in (("database", db_ok), ("broker", broker_ok), ("worker", worker_ok)) if not ok]
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)
