"""Settings for the test suite: a throw-away data folder and in-process extraction."""

import tempfile
from pathlib import Path

from config.settings import *  # noqa: F403
from config.settings import HAYSTACK_CONNECTIONS, SEARCH_ENGINE

DATA_DIR = Path(tempfile.mkdtemp(prefix="archive-test-"))
if SEARCH_ENGINE == "whoosh":
    HAYSTACK_CONNECTIONS["default"]["PATH"] = str(DATA_DIR / "whoosh_index")
EXTRACTION_WORKERS = 1
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render templates without running collectstatic first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "imports", "curation"],
    }
}
# Tasks run as they are queued (a test starts a real worker where it needs one).
# Tests read mail from django.core.mail.outbox.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
UPLOAD_DIR = DATA_DIR / "uploads"
# An import command a test calls would lower the suite's own priority for good.
BACKGROUND_NICENESS = 0
# The test web site (tests/local_site.py) is on loopback; tests of the refusal clear this.
FETCH_ALLOWED_HOSTS = ["127.0.0.1"]
