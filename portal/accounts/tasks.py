from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions() -> None:
    """Idle sessions expire on their own; this removes their rows (run hourly by beat)."""
    call_command("clearsessions")
