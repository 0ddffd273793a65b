"""The embedded demo: SQLite (WAL), Celery eager, plain HTTP on 127.0.0.1."""

from __future__ import annotations

from .base import *  # noqa: F403

# Plain error pages even in the demo: a debug 404 lists every URL and a debug 500 the settings.
DEBUG = env.bool("DEBUG", default=False)  # noqa: F405
# Static files straight from static/ (no collectstatic step in `make demo`).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
