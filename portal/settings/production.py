"""Production: every secret from the environment, HTTPS only, two-factor required.

`manage.py check --deploy` passes with no warnings under these settings (a test runs it).
"""

from __future__ import annotations

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # noqa: F405  (no default: refuse to start without one)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")  # noqa: F405
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=True)  # noqa: F405

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)  # noqa: F405
# Believed only from TRUSTED_PROXIES: portal.proxy drops the header from anyone else.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The container's own health check asks over plain HTTP from inside (not through the proxy).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)  # noqa: F405
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

LOGGING["root"]["level"] = env("LOG_LEVEL", default="INFO")  # noqa: F405
