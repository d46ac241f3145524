"""Retrospector settings: every knob is read from the environment (in a development checkout, also from the file
`make run` writes, var/retrospector.env: the environment wins). A setting that is missing or wrong raises
ImproperlyConfigured with one line saying which and what to do; the `retrospector` command prints just that line."""

import os
import secrets
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from retrospector.core.email_url import EmailUrlError, email_settings, site_url
from retrospector.core.envfile import FILE_NAME, EnvFileError, env_file_apply, shown, var_dir

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = var_dir()
ENV_FILE = VAR_DIR / FILE_NAME


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


# The checkout's settings, for every command run in it; never in the test suite, whose settings are its own.
if not env_bool("RETROSPECTOR_TESTING", False):
    try:
        env_file_apply(ENV_FILE)
    except EnvFileError as exc:
        raise ImproperlyConfigured(str(exc)) from None

DEBUG = env_bool("DEBUG", False)
# Test mode (fast hashing, a generated key, local hosts) only when asked for: the test suite's settings set it.
TESTING = env_bool("RETROSPECTOR_TESTING", False)


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    # A development key on disk must never end up protecting a production site.
    if not DEBUG and not TESTING and not env_bool("RETROSPECTOR_DEV_SECRET", False):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off: set it in the environment, or, in a development checkout, "
            f"run `make run` once (it writes {shown(ENV_FILE)}, which every command run there reads)."
        )
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Keys that encrypt tracker credentials and webhook secrets at rest (core.secretbox), the newest first: to rotate, put
# a new key in front and keep the old one until `retrospector secrets reseal` has run. Derived from SECRET_KEY
# unless set.
ENCRYPTION_KEYS = env_list("RETROSPECTOR_ENCRYPTION_KEYS", "") or [SECRET_KEY]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "retrospector.core",
    "retrospector.accounts",
    "retrospector.incidents",
    "retrospector.timeline",
    "retrospector.writeups",
    "retrospector.notifications",
    "retrospector.reviews",
    "retrospector.meetings",
    "retrospector.actions",
    "retrospector.insights",
    "retrospector.history",
    "retrospector.demo",
    "retrospector.backup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so that it compresses what every later middleware made; JSON API answers only.
    "retrospector.core.middleware.JsonApiGZipMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "retrospector.core.middleware.UserTimeZoneMiddleware",
    "retrospector.accounts.middleware.OrganizationImageHostsMiddleware",
    "retrospector.core.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "retrospector.urls"
WSGI_APPLICATION = "retrospector.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend stays listed so that sessions signed in before UserBackend existed stay signed in.
AUTHENTICATION_BACKENDS = ["retrospector.accounts.backends.UserBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "retrospector.notifications.context_processors.notifications",
            ],
            "builtins": ["retrospector.core.templatetags.retro"],
        },
    },
    # Only for partials that Django's engine renders too slowly (see retrospector/core/jinja.py): <app>/jinja2/.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,
        "OPTIONS": {"environment": "retrospector.core.jinja.environment"},
    },
]


# --- Database ---------------------------------------------------------------
# How long a request waits for a lock that other writers hold before giving up (it then answers 503 with Retry-After):
# well within the server's worker timeout (`serve`: 60 s), so a request stuck behind a lock still gets an answer.
DATABASE_LOCK_WAIT_SECONDS = 20


def database_tuned(database: dict) -> dict:
    """The connection options every configuration of an engine gets, however it was given (the default file,
    SQLITE_PATH, or DATABASE_URL).

    SQLite: WAL, so readers never block the writer; immediate transactions, so a writer takes the write lock when it
    starts instead of failing to upgrade a read lock ("database is locked") halfway through; and a busy timeout, so
    writers queue for that lock instead of failing. PostgreSQL: a lock timeout, so a request waits for a row lock at
    most as long as SQLite's writers do; and no JIT compilation, which costs tens to hundreds of milliseconds on every
    query the planner thinks large (the insights' aggregates) and repays it only on queries running for seconds.
    Other engines are returned unchanged."""
    engine = database.get("ENGINE")
    options = dict(database.get("OPTIONS") or {})
    if engine == "django.db.backends.sqlite3":
        options.update(
            timeout=DATABASE_LOCK_WAIT_SECONDS,
            transaction_mode="IMMEDIATE",
            init_command=(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-20000;"
            ),
        )
    elif engine == "django.db.backends.postgresql":
        lock_timeout = f"-c lock_timeout={DATABASE_LOCK_WAIT_SECONDS * 1000} -c jit=off"
        options["options"] = f"{options.get('options', '')} {lock_timeout}".strip()
    else:
        return database
    return {**database, "OPTIONS": options}


DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    except ValueError as exc:  # the message names the scheme, never the password
        raise ImproperlyConfigured(f"DATABASE_URL: {exc}") from None
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "retrospector.sqlite3")),
            # Kept between requests, as PostgreSQL's are: a new SQLite connection runs the PRAGMAs, reads the schema
            # and starts with an empty page cache, which cost the API list as much as the rest of its work.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }
DATABASES["default"] = database_tuned(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# The default cache is per process (the log-in throttle, small lookups). The insights' computed tables have their own,
# in the database (the insights_cache table, made by a migration) so that every server process and the worker share
# them: the worker computes a reader's default view once the data changed, and pages read it from there
# (retrospector/insights/cached.py). The test suite keeps them in memory beside the default cache.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": ""},
    "insights": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "insights_cache",
        "TIMEOUT": 24 * 3600,  # the keys hold the day: yesterday's are not read again
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    },
}
# Timeline uploads up to this size are read and imported in the request; bigger ones by `retrospector worker`.
TIMELINE_IMPORT_INLINE_BYTES = env_int("TIMELINE_IMPORT_INLINE_BYTES", 2 * 1024 * 1024)
# The biggest timeline upload the page and the API take (the command line reads files from disk: no cap of its own).
TIMELINE_IMPORT_MAX_BYTES_PAGE = env_int("TIMELINE_IMPORT_MAX_BYTES_PAGE", 50 * 1024 * 1024)
TIMELINE_IMPORT_MAX_BYTES_API = env_int("TIMELINE_IMPORT_MAX_BYTES_API", 200 * 1024 * 1024)
# History uploads (a zip of past write-ups, or one): up to this size they are read, and imported once confirmed, in the
# request; bigger ones by `retrospector worker`. The biggest upload the page and the API take.
HISTORY_IMPORT_INLINE_BYTES = env_int("HISTORY_IMPORT_INLINE_BYTES", 2 * 1024 * 1024)
HISTORY_IMPORT_MAX_BYTES = env_int("HISTORY_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
# GitHub and Jira (actions.trackers): plain http addresses only when allowed (a tracker inside a trusted network);
# how long a call may take; how often the worker pulls the state of linked open issues.
TRACKERS_ALLOW_HTTP = env_bool("TRACKERS_ALLOW_HTTP", False)
TRACKER_TIMEOUT_SECONDS = env_int("TRACKER_TIMEOUT_SECONDS", 10)
TRACKER_PULL_EVERY_MINUTES = env_int("TRACKER_PULL_EVERY_MINUTES", 60)

# "Have we seen this before?" blends in the semantic ranking when the `semantic` extra is installed (insights.semantic);
# RETROSPECTOR_SEMANTIC=0 keeps the lexical ranking alone even then.
SIMILAR_SEMANTIC = env_bool("RETROSPECTOR_SEMANTIC", True)

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served from the package (nothing collected) in development, in tests and when asked; else collected by `serve` with
# hashed names. Files served from the package have no manifest of hashed names, so the storage must not expect one.
WHITENOISE_USE_FINDERS = DEBUG or TESTING or env_bool("WHITENOISE_USE_FINDERS", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if WHITENOISE_USE_FINDERS
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------
BEHIND_TLS = env_bool("BEHIND_TLS", False)
SESSION_COOKIE_SECURE = not DEBUG and BEHIND_TLS
CSRF_COOKIE_SECURE = not DEBUG and BEHIND_TLS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if BEHIND_TLS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# The client address, for the log-in throttle: REMOTE_ADDR, unless this many reverse proxies in front of the app each
# append the address they saw to X-Forwarded-For (then the entry that many places from the right is the client's).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Log-in throttle (log-in form and API tokens): after the free tries, each failure doubles the wait before the next
# attempt is heard (1 s, 2 s, 4 s ... up to the cap), even with the right password. Counts per account and per client
# address; an account's count restarts when it logs in, any count after LOGIN_THROTTLE_FORGET_AFTER without failures.
LOGIN_THROTTLE_FREE_TRIES = env_int("LOGIN_THROTTLE_FREE_TRIES", 5)
LOGIN_THROTTLE_FREE_TRIES_PER_ADDRESS = env_int("LOGIN_THROTTLE_FREE_TRIES_PER_ADDRESS", 20)
LOGIN_THROTTLE_MAX_DELAY = env_int("LOGIN_THROTTLE_MAX_DELAY", 15 * 60)  # seconds
LOGIN_THROTTLE_FORGET_AFTER = 60 * 60  # seconds
# django-csp adds it to each response without one of its own (the HTML export sets its own, for its inline styles).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Images from this site only; each organization may add hosts (accounts.middleware).
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email ----------------------------------------------------------------------
# Where notifications are mailed (retrospector/core/email_url.py lists the forms): the console in development, else a
# mail relay on this machine's port 25 until EMAIL_URL names another.
try:
    _email = email_settings(os.environ.get("EMAIL_URL") or ("console:" if DEBUG else "smtp://localhost:25"))
except EmailUrlError as exc:  # the message never shows the password
    raise ImproperlyConfigured(f"EMAIL_URL: {exc}.") from None
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH")
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 30  # seconds: a mail server that stops answering must not hold a worker forever
DEFAULT_FROM_EMAIL = os.environ.get("EMAIL_FROM", "retrospector@localhost").strip()
if "@" not in parseaddr(DEFAULT_FROM_EMAIL)[1] or "\n" in DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured(
        f"EMAIL_FROM must be an address such as retrospector@example.com or Retrospector <retro@example.com>, "
        f"not {DEFAULT_FROM_EMAIL!r}."
    )
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address people open the app at: e-mails link to it. Else the first of CSRF_TRUSTED_ORIGINS, else the local one.
try:
    SITE_URL = site_url(
        os.environ.get("SITE_URL") or (CSRF_TRUSTED_ORIGINS[0] if CSRF_TRUSTED_ORIGINS else "http://127.0.0.1:8000")
    )
except ValueError as exc:
    raise ImproperlyConfigured(f"SITE_URL {exc}.") from None

PAGE_SIZE = 25

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if TESTING:
    # Hashing is deliberately slow; tests log in hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
