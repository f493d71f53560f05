"""/healthz: is the database reachable, and is the broker? 200 when both are, 503 otherwise."""
from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return False, type(exc).__name__


def _broker_ok(url: str | None = None) -> tuple[bool, str]:
    from config.celery import app

    try:
        with app.connection_for_write(url) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__


@never_cache
@require_GET
def healthz(request):
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    status = 200 if db_ok and broker_ok else 503
    return JsonResponse({"database": db_detail, "broker": broker_detail}, status=status)
