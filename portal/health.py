"""Liveness and readiness probes for the load balancer and docker-compose health checks."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "not ready"; say which
        return False, f"{type(error).__name__}: {error}"
    return True, connection.vendor


def _broker_ok() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "eager (tasks run in the web process)"
    from portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:
        return False, f"{type(error).__name__}: {error}"
    return True, settings.CELERY_BROKER_URL.split("@")[-1]


def readyz(request):
    database_ok, database = _database_ok()
    broker_ok, broker = _broker_ok()
    ready = database_ok and broker_ok
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "database": database, "broker": broker},
        status=200 if ready else 503,
    )
