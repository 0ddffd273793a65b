"""The embedded demo: SQLite (WAL), Celery eager, plain HTTP on 127.0.0.1."""

from __future__ import annotations

from .base import *  # noqa: F403

DEBUG = env.bool("DEBUG", default=True)  # noqa: F405
