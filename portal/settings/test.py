"""Tests: SQLite by default; DATABASE_URL and REDIS_URL switch to the real services."""

from __future__ import annotations

import tempfile

from .base import *  # noqa: F403

# Uploaded files (SPoC responses) go to a scratch folder, never into var/.
MEDIA_ROOT = tempfile.mkdtemp(prefix="portal-test-media-")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
# Tasks run in the test process unless a test asks for the real worker (celery_worker_process).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)  # noqa: F405
# The append-only triggers let pytest-django flush the database (portal/audit/chain.py).
AUDIT_ALLOW_TEST_FLUSH = True
# The session-long test worker outlives each test's flush (portal/celery.py).
CELERY_WORKER_FORGETS_CONTENT_TYPES = True
# Chained at each commit, in the test process (portal/audit/chain.py chain_pending_soon).
AUDIT_CHAIN_DEBOUNCE_SECONDS = 0
