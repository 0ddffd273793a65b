"""Settings shared by every environment.

Everything that differs between the embedded demo and production comes from the environment
(django-environ). The defaults here are the safe, embedded ones: SQLite in WAL mode and Celery
running tasks eagerly, so `make demo` needs nothing else installed.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="demo-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks), and
# how many of them stand in front of the portal. From anyone else those headers are dropped.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=1)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "guardian",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "portal.accounts",
    "portal.audit",
    "analytics",
    "safeguarding",
    "spoc",
]

MIDDLEWARE = [
    # First: every later part of the request reads the client address and scheme it settles.
    "portal.proxy.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise, so static files stay cacheable and every page and API answer is not.
    "portal.http.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # A record opened with no workflow relationship answers with the purpose page first.
    "portal.audit.purpose.PurposeMiddleware",
    # Axes must come last: it turns a lockout raised during authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.accounts.context_processors.navigation",
                "safeguarding.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a Celery task (or import) writes; IMMEDIATE makes a
    # writing transaction take the lock up front instead of failing half-way with "locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and authentication ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle sessions end after SESSION_IDLE_MINUTES: the cookie's age is renewed on every request.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Rate-limited login: AXES_FAILURE_LIMIT failures lock the account for the cool-off period.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# Lock by username only: behind the production proxy a whole MASH office shares one address, so
# one person's typos must not lock out their colleagues. An address guessing across many
# accounts is throttled separately, at a higher limit (portal.accounts.login).
AXES_LOCKOUT_PARAMETERS = ["username"]
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=50)
# A successful sign-in clears that user's own failures (the lockout parameters), nobody else's.
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "portal.proxy.client_ip"
# axes warns when addresses are not among its lockout parameters; the address throttle above
# covers that (tests/portal/test_authentication.py shows an address blocked after the limit).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Two-factor (TOTP): required in production, optional in the demo.
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=False)
OTP_TOTP_ISSUER = "Safeguarding Portal"
# The admin site never shows a device's key or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# django-guardian: no anonymous user, object permissions only through our helpers.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# --- E-mail ----------------------------------------------------------------------------------
# Password-set links and reminders. The demo writes messages to files under var/mail (read them
# there); production sends through the SMTP relay in EMAIL_URL (smtp+tls://user:pass@host:587).
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Safeguarding portal <no-reply@portal.invalid>")
# A password-set link works once, within this many seconds (one day).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_SET_LINK_SECONDS", default=24 * 3600)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # A token is bound to two-factor wherever a session would need it.
        "portal.accounts.authentication.TwoFactorTokenAuthentication",
    ],
    # JSON only, parsed with limits on size and depth; no browsable API (its pages need inline
    # script, which the Content-Security-Policy refuses).
    "DEFAULT_PARSER_CLASSES": ["portal.api.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env("API_RATE", default="600/minute")},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Safeguarding portal API",
    "VERSION": "1",
    "DESCRIPTION": (
        "The same records, access rules and audit as the portal's pages: a caller sees only what "
        "is shared with them, gets 404 for anything else, 403 when they may read but not change, "
        "and every call is recorded.\n\n"
        "Authentication: a session, or `Authorization: Token <key>`. A person creates (and "
        "revokes) their own token on their profile page, once signed in; only roles that work "
        "cases or police intelligence may hold one. Where two-factor sign-in is required (always "
        "in production) a token works only for a person with a confirmed authenticator device, "
        "and only if it was issued after that device was set up: confirming a device revokes "
        "any earlier token.\n\n"
        "Bodies are JSON, at most API_MAX_BODY_BYTES (1 MiB) and nested at most API_MAX_JSON_DEPTH "
        "(20) levels; anything else is a 400 that says why, and changes nothing."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    # Fields of the same name with different choices in different apps: one enum name each.
    "ENUM_NAME_OVERRIDES": {
        "CommsRequestKindEnum": "spoc.models.RequestKind",
        "CommsRequestStateEnum": "spoc.models.RequestState",
        "DealLineStatusEnum": "spoc.models.DealLineStatus",
        "CaseKindEnum": "safeguarding.models.CaseKind",
        "CaseStateEnum": "safeguarding.models.CaseState",
        "RunStatusEnum": "analytics.models.AnalysisRun.Status",
    },
}

# --- Analysis -------------------------------------------------------------------------------
# Processes for Walktrap, betweenness and dismantling on kept networks of at least
# ANALYSIS_PARALLEL_MIN_NODES nominals (smaller ones are quicker in one process).
ANALYSIS_WORKERS = env.int("ANALYSIS_WORKERS", default=os.cpu_count() or 1)
ANALYSIS_PARALLEL_MIN_NODES = env.int("ANALYSIS_PARALLEL_MIN_NODES", default=2_000)
# Betweenness is exact in connected components of at most this many kept nominals and estimated
# from ANALYSIS_BETWEENNESS_SAMPLED_SOURCES sampled nominals (with a 95% margin) in larger ones:
# exact betweenness of a 100,000-nominal component takes about half an hour of CPU.
ANALYSIS_BETWEENNESS_ESTIMATE_ABOVE = env.int("ANALYSIS_BETWEENNESS_ESTIMATE_ABOVE", default=25_000)
ANALYSIS_BETWEENNESS_SAMPLED_SOURCES = env.int("ANALYSIS_BETWEENNESS_SAMPLED_SOURCES", default=1_024)

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker (the embedded demo) tasks run in the web process, synchronously.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# An analysis run uses every core itself (ANALYSIS_WORKERS processes), so runs have their own
# queue, served one at a time by a worker with the solo pool (a prefork pool's children are
# daemons, which may not start the analysis's worker processes).
CELERY_TASK_ROUTES = {"analytics.tasks.run_analysis_task": {"queue": "analysis"}}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "portal.accounts.tasks.clear_expired_sessions",
        "schedule": 3600.0,
    },
    "pathway-reminders": {
        "task": "safeguarding.tasks.send_pathway_reminders",
        "schedule": env.int("REMINDER_INTERVAL_SECONDS", default=900),
    },
    # Access events written inside a transaction that another chaining pass did not reach.
    "audit-chain-pending": {"task": "portal.audit.tasks.chain_pending", "schedule": 60.0},
    "audit-verify-chain": {"task": "portal.audit.tasks.verify_chain", "schedule": 3600.0},
    "audit-misuse-rules": {
        "task": "portal.audit.tasks.evaluate_misuse_rules",
        "schedule": env.int("MISUSE_RULES_INTERVAL_SECONDS", default=300),
    },
    "spoc-reminders": {
        "task": "spoc.tasks.send_spoc_reminders",
        "schedule": env.int("SPOC_REMINDER_INTERVAL_SECONDS", default=300),
    },
}

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://")
    if not REDIS_URL
    else {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}

# --- Internationalisation, static files -----------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# API request bodies: at most API_MAX_BODY_BYTES, nested at most API_MAX_JSON_DEPTH deep.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=20)

# Content-Security-Policy (django-csp): scripts and styles from the portal's own files only,
# never inline; nothing may frame the portal.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# django-auditlog: record the remote address with every change.
AUDITLOG_INCLUDE_ALL_MODELS = False

# --- Audit trail ------------------------------------------------------------------------------
# The portal's own database role: when set, UPDATE, DELETE and TRUNCATE on the trail's tables are
# revoked from it (migration 0005 and `manage.py audit_revoke_privileges`). Run migrations and
# archive_audit --delete as the tables' owner, the portal as this role.
AUDIT_APPEND_ONLY_ROLE = env("AUDIT_APPEND_ONLY_ROLE", default="")
# Retention: entries older than this are archived to a signed export (`manage.py archive_audit`),
# never simply deleted. 2192 days = 6 years.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=2192)
# Key for the archive signatures and the chain's HMAC (empty: derived from SECRET_KEY). Changing
# it makes the existing chain and archives fail verification, so set it once.
AUDIT_ARCHIVE_KEY = env("AUDIT_ARCHIVE_KEY", default="")
# An access event still unchained this long after it was written is a verification fault.
AUDIT_CHAIN_GRACE_SECONDS = env.int("AUDIT_CHAIN_GRACE_SECONDS", default=600)
# Chaining runs in a Celery task queued at most once per this many seconds (0: at each commit,
# in the request; always so where tasks run eagerly, as in the demo).
AUDIT_CHAIN_DEBOUNCE_SECONDS = env.int("AUDIT_CHAIN_DEBOUNCE_SECONDS", default=2)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
