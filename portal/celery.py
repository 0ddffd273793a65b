"""The Celery application. Settings come from Django's settings under the CELERY_ prefix."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.demo")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _fresh_content_types(**kwargs) -> None:
    """In the test suite a long-lived worker outlives each test's database flush, which gives
    content types new ids: forget the cached ones before each task (never set in production,
    where content types do not change under a running worker)."""
    from django.conf import settings

    if getattr(settings, "CELERY_WORKER_FORGETS_CONTENT_TYPES", False):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
