"""Background work of the SPoC liaison (Celery; beat runs it, see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from .reminders import reminders_send


@shared_task
def send_spoc_reminders() -> dict[str, int]:
    """Overdue acknowledgements and fulfilments, urgent authorisations about to lapse, and the
    lapse itself after 3 days. Runs may overlap or repeat; each notification is sent once."""
    return reminders_send()
