"""Background work of the safeguarding pathway (Celery; run by beat, see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from .reminders import reminders_send


@shared_task
def send_pathway_reminders() -> dict[str, int]:
    """Every REMINDER_INTERVAL_SECONDS: remind and escalate the pathway's due steps. Runs may
    overlap or repeat; the service sends each reminder once (see safeguarding.reminders)."""
    return reminders_send()
