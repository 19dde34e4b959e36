"""Django settings for Kraken Bot, read from the environment and an optional local `.env`.

Every variable is described in the README's configuration table. Problems are collected and raised
as one `ConfigurationError` (see `kraken_bot.configuration`), which the entry points print as a
single line.
"""

import os
from pathlib import Path
from typing import Any

import django_stubs_ext
from marshmallow.validate import URL, OneOf, Range

from kraken_bot.configuration import ConfigurationError, read_environment, seal

# Lets generic Django classes be subscripted at run time (`admin.ModelAdmin[Question]`).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _is_url(value: str) -> bool:
    return URL(require_tld=False)(value) == value


env = read_environment(env_file=os.environ.get("ENV_FILE"), default_env_file=BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY", "")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", [])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", [])
# A validator fails by raising (marshmallow ignores a validator that returns False).
LOG_LEVEL = env.str("LOG_LEVEL", "INFO", validate=lambda level: OneOf(_LOG_LEVELS)(level.upper()))
LOG_FORMAT = env.str("LOG_FORMAT", "text", validate=OneOf(["text", "json"]))
METRICS_TOKEN = env.str("METRICS_TOKEN", "")
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", 0, validate=Range(min=0, max=65535))

DATABASES = {
    "default": env.dj_db_url("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=0)
}
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", 20, validate=Range(min=1))
DATABASE_POOL_TIMEOUT_S = env.float("DATABASE_POOL_TIMEOUT_S", 10.0, validate=Range(min=0.1))

SLACK_BOT_TOKEN = env.str("SLACK_BOT_TOKEN", "")
SLACK_SIGNING_SECRET = env.str("SLACK_SIGNING_SECRET", "")
SLACK_APP_TOKEN = env.str("SLACK_APP_TOKEN", "")
SLACK_API_URL = env.str("SLACK_API_URL", "https://slack.com/api/", validate=URL(require_tld=False))
SLACK_ALLOWED_CHANNELS: list[str] = env.list("SLACK_ALLOWED_CHANNELS", [])
SHUTDOWN_GRACE_S = env.float("SHUTDOWN_GRACE_S", 30.0, validate=Range(min=0))
ANSWER_CONCURRENCY = env.int("ANSWER_CONCURRENCY", 100, validate=Range(min=1))
# Documentation sources: where git sources are cloned, and what one sync may take.
SOURCES_CACHE_DIR = Path(env.str("SOURCES_CACHE_DIR", str(BASE_DIR / ".cache" / "sources")))
SYNC_MAX_DOCUMENTS = env.int("SYNC_MAX_DOCUMENTS", 5_000, validate=Range(min=1))
SYNC_TIMEOUT_S = env.float("SYNC_TIMEOUT_S", 3_600.0, validate=Range(min=1))

GITHUB_API_URL = env.str("GITHUB_API_URL", "https://api.github.com", validate=_is_url)
GITHUB_TOKEN = env.str("GITHUB_TOKEN", "")
GITHUB_TIMEOUT_S = env.float("GITHUB_TIMEOUT_S", 10.0, validate=Range(min=0, min_inclusive=False))

LLM_MODEL = env.str("LLM_MODEL", "")
LLM_BASE_URL = env.str("LLM_BASE_URL", "", validate=lambda url: not url or _is_url(url))
LLM_TIMEOUT_S = env.float("LLM_TIMEOUT_S", 60.0, validate=Range(min=0, min_inclusive=False))
LLM_RUN_LIMITS = env.str("LLM_RUN_LIMITS", "")
LLM_OUTPUT_MODE = env.str("LLM_OUTPUT_MODE", "tool", validate=OneOf(["tool", "native", "prompted"]))
LLM_CLASSIFIER_MODEL = env.str("LLM_CLASSIFIER_MODEL", "")
EMBEDDING_MODEL = env.str("EMBEDDING_MODEL", "")
EMBEDDING_BASE_URL = env.str("EMBEDDING_BASE_URL", "", validate=lambda url: not url or _is_url(url))
QUESTION_CATEGORIES: list[str] = [
    category.strip()
    for category in env.list(
        "QUESTION_CATEGORIES", ["how-to", "troubleshooting", "access-request", "release", "other"]
    )
    if category.strip()
]

seal(env)

if not DEBUG and not SECRET_KEY:
    raise ConfigurationError(
        "SECRET_KEY is required when DEBUG is off: set SECRET_KEY to a long random string "
        "(or DEBUG=true for local development)"
    )
if not DEBUG and not os.environ.get("DATABASE_URL"):
    raise ConfigurationError(
        "DATABASE_URL is required when DEBUG is off: set it to postgres://… or sqlite:///path "
        "(the SQLite file in the project is for local development)"
    )
if not QUESTION_CATEGORIES:
    raise ConfigurationError("QUESTION_CATEGORIES: give at least one category, comma-separated")
if DEBUG and not SECRET_KEY:
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - never used with DEBUG off

# The health check and local tools reach the service on the loopback address whatever the
# public host names are.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "127.0.0.1", "localhost", "[::1]"]


def _database_options(database: dict[str, Any]) -> dict[str, Any]:
    """Engine-specific options: a connection pool on PostgreSQL, WAL and waits on SQLite."""
    engine = database["ENGINE"]
    if engine == "django.db.backends.postgresql":
        return {
            "pool": {
                "min_size": 1,
                "max_size": DATABASE_POOL_SIZE,
                "timeout": DATABASE_POOL_TIMEOUT_S,
            },
            "connect_timeout": max(1, round(DATABASE_POOL_TIMEOUT_S)),
        }
    if engine == "django.db.backends.sqlite3":
        return {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    raise ConfigurationError(
        "DATABASE_URL: only sqlite:// and postgres:// databases are supported, "
        f"not {engine.rsplit('.', 1)[-1]}"
    )


def _require_sqlite_folder(database: dict[str, Any]) -> None:
    """SQLite creates its file, not the folders above it: without them every query would fail."""
    folder = Path(database["NAME"]).parent
    if database["ENGINE"] == "django.db.backends.sqlite3" and not folder.is_dir():
        raise ConfigurationError(
            f"DATABASE_URL: the SQLite file's folder {folder} does not exist: create it first"
        )


_require_sqlite_folder(DATABASES["default"])
DATABASES["default"]["OPTIONS"] = _database_options(DATABASES["default"])
DATABASES["default"]["CONN_MAX_AGE"] = 0
# With the pool, Django then checks each connection as it is taken from the pool (an empty query):
# one the server dropped (a restart, a failover) is replaced, not handed to a request to fail it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Kraken Bot's own app comes first so that its admin templates override Django's.
INSTALLED_APPS = [
    "kraken_bot",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic",
    "django.contrib.staticfiles",
    "procrastinate.contrib.django",
    "data",
]

# Modules with tasks that a worker imports as it starts, besides each app's `tasks` module.
PROCRASTINATE_IMPORT_PATHS = ["slack.jobs"]

# procrastinate keeps its jobs in PostgreSQL only: on SQLite its migrations do not run.
DATABASE_ROUTERS = ["kraken_bot.database_router.ProcrastinateOnPostgresqlOnly"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Async-only static files for the admin: a sync middleware would push every request through
    # a thread and tie the view to a sync context.
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kraken_bot.storable_query.storable_query",
]

ROOT_URLCONF = "kraken_bot.urls"
ASGI_APPLICATION = "kraken_bot.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Behind a load balancer that terminates TLS; the health check and the metrics (scraped from
# inside the network) stay reachable over plain HTTP.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_SSL_REDIRECT = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {
            "class": "kraken_bot.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "kraken_bot.logs.JsonFormatter"},
    },
    "filters": {
        "quiet_chores": {"()": "kraken_bot.logs.QuietChores"},
        "private_arguments": {"()": "kraken_bot.logs.PrivateArguments"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "line",
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL.upper()},
    "loggers": {
        # procrastinate says at start-up, in every process and command, that it has its tasks and
        # their schedules.
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},
        # Each job's start (the worker's logger, named after it) and end (the module's).
        "procrastinate.worker.worker": {"filters": ["quiet_chores", "private_arguments"]},
        "procrastinate.worker": {"filters": ["quiet_chores", "private_arguments"]},
    },
}
