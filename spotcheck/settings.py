"""Settings, all from environment variables with defaults that run locally.

Development (DEBUG=1, the default) runs with nothing set on a SQLite file in
``data/``. Production (DEBUG=0) refuses to start without a real SECRET_KEY and
turns on the secure-transport settings that ``spotcheck check --deploy`` asks for.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
DATA_DIR = Path(os.environ.get("SPOTCHECK_DATA_DIR", PROJECT_DIR / "data"))

DEV_SECRET_KEY = "dev-insecure-key-only-for-local-development-never-in-production"  # noqa: S105


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def networks_list(name: str) -> list[str]:
    """Return a comma-separated list of addresses or CIDR ranges, refusing any that is not one."""
    networks = []
    for entry in env_list(name, []):
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {entry!r} 不是IP地址或网段 / is not an address or CIDR range") from None
    return networks


DATABASE_ENGINES = {
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.postgresql": "postgresql",
}


def database_from_url(url: str) -> dict:
    """Return a DATABASES entry for ``sqlite:///PATH`` or ``postgres://…`` (parsed by dj-database-url).

    ``sqlite:///relative/path``, ``sqlite:////absolute/path``, ``sqlite:///:memory:``;
    ``postgres://``, ``postgresql://`` or ``pgsql://user:password@host:port/name``, with
    ``?host=/socket/dir`` (and ``port``) for a Unix socket as scripts/throwaway-postgres writes;
    other query parameters (``sslmode=require``…) become connection options.
    """
    try:
        db = dj_database_url.parse(url)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL: {exc}") from None
    kind = DATABASE_ENGINES.get(db["ENGINE"])
    if kind is None:
        scheme = url.split(":", 1)[0]
        raise ImproperlyConfigured(f"DATABASE_URL: unsupported scheme {scheme!r} (sqlite or postgres)")
    if kind == "sqlite":
        path = db["NAME"] or ":memory:"
        if path != ":memory:":
            # A fresh clone has no data/ (git ignores it): SQLite cannot create the folder itself.
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
        if path != ":memory:":
            # WAL: readers never wait for the writer (an import's write), and one writer waits
            # for another up to "timeout" seconds. Not for a database in memory.
            options["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        return {"ENGINE": db["ENGINE"], "NAME": path, "OPTIONS": options}
    options = dict(db.get("OPTIONS", {}))
    # The socket folder and port given in the query are the connection's host and port.
    host = db["HOST"] or str(options.pop("host", ""))
    port = db["PORT"] or options.pop("port", "")
    return {
        "ENGINE": db["ENGINE"],
        "NAME": db["NAME"],
        "USER": db["USER"],
        "PASSWORD": db["PASSWORD"],
        "HOST": host,
        "PORT": str(port or ""),
        "OPTIONS": options,
        "CONN_MAX_AGE": 60,
    }


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "生产环境必须设置至少50个字符的 SECRET_KEY / set SECRET_KEY (50+ characters) when DEBUG=0"
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the widgets' templates, for FORM_RENDERER below
    "django_tasks",
    "django_tasks_db",
    "spotcheck.accounts",
    "spotcheck.audit",
    "spotcheck.directory",
    "spotcheck.catalog",
    "spotcheck.records",
    "spotcheck.plans",
    "spotcheck.draws",
    "spotcheck.inspections",
    "spotcheck.results",
    "spotcheck.portal",
    "spotcheck.oversight",
    "spotcheck.api",
    "ninja",  # the API's documentation page (Swagger UI) from its own static files, no CDN
    "spotcheck.notices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "spotcheck.lib.language.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "spotcheck.accounts.access.AccessRuleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "spotcheck.portal.errors.MethodNotAllowedPageMiddleware",
    "spotcheck.lib.headers.SecureHeadersMiddleware",
]

ROOT_URLCONF = "spotcheck.urls"
WSGI_APPLICATION = "spotcheck.wsgi.application"

# Every form is drawn by one template (templates/forms/form.html): errors summed up at the top, fields marked.
FORM_RENDERER = "spotcheck.lib.forms.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{(DATA_DIR / 'spotcheck.sqlite3').as_posix()}")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "portal:index"

# Sessions expire: after SESSION_HOURS of inactivity and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 8) * 3600
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Failed logins delay the next attempt (accounts.throttle): after LOGIN_FAILURES_PER_ACCOUNT
# failures of an account (or LOGIN_FAILURES_PER_ADDRESS from one address) within the window, the
# next attempt waits 1 s, 2 s, 4 s … up to LOGIN_DELAY_MAX_SECONDS; a browser that logged in to the
# account before (a known device, remembered LOGIN_DEVICE_DAYS) counts apart. Older records are pruned.
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 24 * 60)
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20)
LOGIN_DELAY_MAX_SECONDS = env_int("LOGIN_DELAY_MAX_SECONDS", 15 * 60)
LOGIN_DEVICE_DAYS = env_int("LOGIN_DEVICE_DAYS", 180)
# A one-time password reset link (accounts.reset) expires this many hours after an administrator
# issues it; a refused link counts against its address like a failed login.
PASSWORD_RESET_LINK_HOURS = env_int("PASSWORD_RESET_LINK_HOURS", 24)
# The reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client; none by
# default, and then the header is never read (REMOTE_ADDR only).
SPOTCHECK_TRUSTED_PROXIES = networks_list("SPOTCHECK_TRUSTED_PROXIES")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("SPOTCHECK_MEDIA_ROOT", DATA_DIR / "uploads"))
# Uploads (attachments, certificates, import files) through Django's storage API: the file system by
# default; several app servers share one folder (or set another backend here for object storage).
# Static files are compressed once at collectstatic and served by WhiteNoise with long cache headers.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 3600
if not DEBUG:
    # Static files from the app server itself (collected to STATIC_ROOT), compressed, before anything else
    # runs. (In development runserver serves them from the source folders.)
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
# An uploaded file above 5 MB is written to a temporary file, not held in memory; its size is
# checked against SPOTCHECK["upload_max_mb"] before it is read. The other fields of a request
# (not files) may not exceed 10 MB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Security headers; the transport settings are on in production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = ["security.W021"] if not env_bool("SECURE_HSTS_PRELOAD", False) else []

# The business rules' settings (docs/rules.md), each overridable by
# SPOTCHECK_<NAME> in the environment.
SPOTCHECK: dict[str, Any] = {
    "complaint_threshold": env_int("SPOTCHECK_COMPLAINT_THRESHOLD", 3),  # R4
    "min_ratio": env_str("SPOTCHECK_MIN_RATIO", "0.03"),  # R4: 不得低于3%
    "default_ratio_general": env_str("SPOTCHECK_DEFAULT_RATIO_GENERAL", "0.03"),  # R4
    "default_ratio_foreign": env_str("SPOTCHECK_DEFAULT_RATIO_FOREIGN", "0.10"),  # R4
    "default_ratio_heightened": env_str("SPOTCHECK_DEFAULT_RATIO_HEIGHTENED", "0.20"),  # R4
    "max_draws_per_year": env_int("SPOTCHECK_MAX_DRAWS_PER_YEAR", 2),  # R3
    "team_size": env_int("SPOTCHECK_TEAM_SIZE", 2),  # R5: 执法人员不得少于两人
    "min_witnesses": env_int("SPOTCHECK_MIN_WITNESSES", 1),  # R5: the ceremony (现场监督)
    "publish_within_days": env_int("SPOTCHECK_PUBLISH_WITHIN_DAYS", 20),  # R7
    # Published data through the API without a token: requests per address and minute.
    "api_anonymous_per_minute": env_int("SPOTCHECK_API_ANONYMOUS_PER_MINUTE", 120),
    # The dashboard's figures are kept this long, or until the next audited change (oversight.dashboard).
    "dashboard_cache_seconds": env_int("SPOTCHECK_DASHBOARD_CACHE_SECONDS", 300),
    "attachment_max_mb": env_int("SPOTCHECK_ATTACHMENT_MAX_MB", 10),  # photos and PDFs of results
    # An upload with more rows than this runs as a background task.
    "import_background_rows": env_int("SPOTCHECK_IMPORT_BACKGROUND_ROWS", 2000),
    # A running import job whose worker has not written its heartbeat (with its progress) for
    # this many minutes is marked failed and its upload removed.
    "import_stale_minutes": env_int("SPOTCHECK_IMPORT_STALE_MINUTES", 10),
    # Hostile files (spotcheck.lib.tabular): an upload's size, checked before it is read; the
    # rows of one file, counted as they are read; what an .xlsx may decompress to.
    "upload_max_mb": env_int("SPOTCHECK_UPLOAD_MAX_MB", 50),
    "import_max_rows": env_int("SPOTCHECK_IMPORT_MAX_ROWS", 1_000_000),
    "xlsx_max_unzipped_mb": env_int("SPOTCHECK_XLSX_MAX_UNZIPPED_MB", 1024),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
