"""Django settings, all from the environment.

- ``DATABASE_URL``: SQLite at ``var/asamblea.sqlite3`` under the working directory by default;
  PostgreSQL in production (``postgres://...``).
- ``ASAMBLEA_SECRET_KEY``: required in production (``ASAMBLEA_PRODUCTION``); elsewhere a key is
  generated once and kept in ``var/secret_key``.
- ``ASAMBLEA_DEBUG``: ``1`` for development (``make demo`` sets it); off unless set, so a server
  started any other way never shows Django's debug pages.
- ``ASAMBLEA_ALLOWED_HOSTS``: comma-separated host names.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("ASAMBLEA_VAR_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("ASAMBLEA_DEBUG", False)
PRODUCTION = _env_bool("ASAMBLEA_PRODUCTION", False)


def _secret_key() -> str:
    key = os.environ.get("ASAMBLEA_SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("ASAMBLEA_SECRET_KEY must be set in production")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ASAMBLEA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ninja",
    "asamblea.core",
    "asamblea.jobs",
    "asamblea.recordstore",
    "asamblea.registry",
    "asamblea.trustees",
    "asamblea.elections",
    "asamblea.assemblies",
    "asamblea.web",
    "asamblea.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "asamblea.core.middleware.DatabaseUnavailableMiddleware",
    # The member's language (their choice, then their organisation's) and time zone.
    "asamblea.web.middleware.MemberPreferencesMiddleware",
]
# --- abuse resistance and headers (issue 16) -------------------------------------------------
# The admin's own login page is the officers' one; officers' sessions time out; API tokens keep
# to their scope; every answer gets the Content-Security-Policy and every 429 a Retry-After
# (outermost, so that answers made by other middleware get them too).
MIDDLEWARE.insert(0, "asamblea.core.middleware.HeadersMiddleware")
MIDDLEWARE += [
    "asamblea.core.middleware.AdminLoginMiddleware",
    "asamblea.core.middleware.OfficerSessionMiddleware",
    "asamblea.core.middleware.ApiTokenScopeMiddleware",
    "asamblea.core.middleware.TrusteeUploadMiddleware",
]
# --- end abuse resistance and headers ---------------------------------------------------------

# The JSON API's requests in production (asamblea.core.handlers): security headers, and the user
# that bearer-token authentication sets (an anonymous one otherwise); none of the pages'
# sessions-and-forms machinery.
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "asamblea.core.middleware.DatabaseUnavailableMiddleware",
]
# --- abuse resistance and headers (issue 16): token scope and expiry, the CSP on API answers --
API_MIDDLEWARE.insert(0, "asamblea.core.middleware.HeadersMiddleware")
API_MIDDLEWARE += [
    "asamblea.core.middleware.ApiTokenScopeMiddleware",
    "asamblea.core.middleware.TrusteeUploadMiddleware",
]
# --- end abuse resistance and headers ---------------------------------------------------------

ROOT_URLCONF = "asamblea.urls"
WSGI_APPLICATION = "asamblea.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_SQLITE_PATH = VAR_DIR / "asamblea.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
_db = dj_database_url.parse(
    DATABASE_URL,
    conn_max_age=int(os.environ.get("ASAMBLEA_CONN_MAX_AGE", "0")),
    # A kept connection is checked before reuse: after a database restart it is replaced, not
    # used to fail the next request.
    conn_health_checks=True,
)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["OPTIONS"] = {
        # WAL for concurrent readers; FULL so that an acknowledged write survives a power cut.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        # Writers take the lock at BEGIN, so two writers never deadlock on an upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _db["TEST"] = {"NAME": os.environ.get("ASAMBLEA_SQLITE_TEST_NAME") or None}
elif _db["ENGINE"].startswith("django.db.backends.postgresql"):
    # Django's backend with a health check that asks the socket before it asks the server.
    _db["ENGINE"] = "asamblea.core.postgresql"
    # Acknowledged means durable: never let a session turn synchronous commit off.
    _db.setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=on"
    # The cast binds its own values on the server (elections.actions.casting); the rest of the
    # application may too with ASAMBLEA_PG_SERVER_SIDE_BINDING=1 (docs/operations.md, measured
    # with bench/bench_casting.py; off by default).
    if os.environ.get("ASAMBLEA_PG_SERVER_SIDE_BINDING") == "1":
        _db["OPTIONS"]["server_side_binding"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "es"
LANGUAGES = [
    ("es", "Español"),
    ("en", "English"),
    ("quz", "Runasimi (Qusqu)"),
    ("ayc", "Aymar aru"),
]
# Quechua and Aymara are not in Django's catalogue of languages: describe them so that a catalogue
# in locale/ is all that adding them needs.
EXTRA_LANG_INFO = {
    "quz": {"bidi": False, "code": "quz", "name": "Cusco Quechua", "name_local": "Runasimi"},
    "ayc": {"bidi": False, "code": "ayc", "name": "Southern Aymara", "name_local": "Aymar aru"},
}
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

LOGIN_URL = "web:login"
EMAIL_BACKEND = os.environ.get(
    "ASAMBLEA_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("ASAMBLEA_FROM_EMAIL", "asamblea@localhost")
# The site's address as members reach it, for absolute links in mail ("https://asamblea.example").
ASAMBLEA_SITE_URL = os.environ.get("ASAMBLEA_SITE_URL", "http://localhost:8000").rstrip("/")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("ASAMBLEA_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["drop_casting_requests"]}
    },
    # The casting view must leave no trace: its requests are never logged (see the secrecy ADR).
    "filters": {"drop_casting_requests": {"()": "asamblea.elections.secrecy.DropCastingRequests"}},
    "loggers": {
        "django.request": {
            "handlers": ["console"],
            "level": "ERROR",
            "propagate": False,
            "filters": ["drop_casting_requests"],
        },
        "django.server": {
            "handlers": ["console"],
            "level": "WARNING",
            "propagate": False,
            "filters": ["drop_casting_requests"],
        },
    },
}

# --- abuse resistance and headers (issue 16) -------------------------------------------------
# Budgets against guessing live in Django's cache, shared by every worker process
# (asamblea.core.ratelimit): Redis when ASAMBLEA_REDIS_URL is set (production), else a table in
# the database (created by `asamblea migrate`, the demo and the test database through the
# registry's migration 0004), whose increments are atomic.
REDIS_URL = os.environ.get("ASAMBLEA_REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "asamblea",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "asamblea.core.ratelimit.AtomicDatabaseCache",
            "LOCATION": "asamblea_cache",
            # Culling would forget budgets under a flood of keys: let windows expire instead.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000, "CULL_FREQUENCY": 10},
        }
    }
# The REMOTE_ADDRs of proxies whose X-Forwarded-For is believed (comma-separated); empty: none,
# and budgets are keyed on REMOTE_ADDR.
ASAMBLEA_TRUSTED_PROXIES = [
    h.strip() for h in os.environ.get("ASAMBLEA_TRUSTED_PROXIES", "").split(",") if h.strip()
]
# Officers' sessions end after 30 minutes idle and 12 hours in all; members keep Django's
# 14 days (SESSION_COOKIE_AGE).
# A trustee's shuffle or partial decryption over the API (core.middleware.TrusteeUploadMiddleware):
# 1 GiB by default, about a million ranked ballots of ten ranks; the proxy in front must allow it.
ASAMBLEA_TRUSTEE_UPLOAD_MAX = int(os.environ.get("ASAMBLEA_TRUSTEE_UPLOAD_MAX", str(2**30)))
ASAMBLEA_OFFICER_IDLE_SECONDS = 30 * 60
ASAMBLEA_OFFICER_SESSION_SECONDS = 12 * 3600
# A strict policy on every answer: no inline script or style anywhere; htmx is a static file.
ASAMBLEA_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# --- end abuse resistance and headers ---------------------------------------------------------
