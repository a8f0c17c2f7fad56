"""The index can drift from the database (a killed import, a failed write); check_index finds
the drift and repairs it, and rebuilds an index folder that cannot be read."""

import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from haystack import connections

from archive.models import Article
from search.consistency import IndexUnreadable, find_drift
from tests.factories import make_article

ROOT = Path(__file__).resolve().parent.parent.parent


def check_index(*args) -> str:
    out = io.StringIO()
    call_command("check_index", *args, stdout=out)
    return out.getvalue()


def search_count() -> int:
    from django.test import Client

    return Client().get("/api/search/").json()["count"]


@pytest.mark.django_db
def test_drift_is_reported_and_repaired():
    kept = [make_article(f"Harbor notice {n}") for n in range(4)]
    backend = connections["default"].get_backend()
    backend.remove_identifiers([f"archive.article.{kept[0].pk}"])  # an index write that failed
    Article.objects.filter(pk=kept[1].pk).delete()  # deleted, but no commit hook ran
    assert find_drift().missing == {kept[0].pk} and find_drift().stale == {kept[1].pk}

    report = check_index("--dry-run")
    assert "1 articles missing from the index, 1 index entries whose article is gone" in report
    assert find_drift()

    assert "Repaired" in check_index()
    assert not find_drift()
    assert search_count() == 3
    assert "matches the database" in check_index()


@pytest.mark.django_db
def test_damaged_index_is_reported_and_rebuilt(settings):
    for n in range(3):
        make_article(f"Ferry timetable {n}")
    index_dir = Path(settings.HAYSTACK_CONNECTIONS["default"]["PATH"])
    for part in index_dir.iterdir():
        part.write_bytes(b"\x00garbage" * 10)
    backend = connections["default"].get_backend()
    backend._local.__dict__.clear()  # a fresh process would open the files anew
    with pytest.raises(IndexUnreadable):
        find_drift()
    with pytest.raises(CommandError, match="check_index --rebuild"):
        check_index()
    assert "Rebuilt the index with 3 articles" in check_index("--rebuild")
    assert search_count() == 3


@pytest.mark.django_db
def test_unreadable_index_is_a_503_with_a_message_not_a_crash(client, settings):
    make_article("Ferry timetable")
    index_dir = Path(settings.HAYSTACK_CONNECTIONS["default"]["PATH"])
    for part in index_dir.iterdir():
        part.write_bytes(b"\x00garbage" * 10)
    connections["default"].get_backend()._local.__dict__.clear()
    api = client.get("/api/search/", {"q": "ferry"})
    assert api.status_code == 503 and "unavailable" in api.json()["error"]
    page = client.get("/", {"q": "ferry"})
    assert page.status_code == 503 and b"Search is unavailable" in page.content


@pytest.mark.slow
def test_killed_import_leaves_nothing_check_index_cannot_repair(tmp_path):
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(tmp_path / "data"), "DEBUG": "true"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    corpus = tmp_path / "wire.jsonl"
    with corpus.open("w") as out:
        for n in range(30_000):
            record = {
                "title": f"Wire item {n}",
                "body": f"Wire item {n}: port traffic in Lisbon rose {n % 97} percent.",
                "entities": {"place": ["Lisbon"], "organization": [f"Carrier {n % 50}"]},
            }
            out.write(json.dumps(record) + "\n")
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    importer = subprocess.Popen(
        [*manage, "import_articles", str(corpus)], env=env, cwd=ROOT, stderr=subprocess.DEVNULL
    )
    database = tmp_path / "data" / "archive.sqlite3"
    deadline = time.monotonic() + 300
    while stored_articles(database) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(random.uniform(0, 1.5))  # somewhere in the next batches: parsing, storing, indexing
    importer.send_signal(signal.SIGKILL)
    importer.wait()
    assert 0 < stored_articles(database) < 30_000

    repair = subprocess.run(
        [*manage, "check_index"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert repair.returncode == 0, repair.stderr
    again = subprocess.run(
        [*manage, "check_index", "--dry-run"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert "The index matches the database." in again.stdout
    # Running the import again completes it: nothing was lost, nothing doubled.
    rerun = subprocess.run(
        [*manage, "import_articles", str(corpus)], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    final = subprocess.run(
        [*manage, "check_index", "--dry-run"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert "The index matches the database." in final.stdout
    assert stored_articles(database) == 30_000


def stored_articles(database: Path) -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database, timeout=30) as connection:
        try:
            return connection.execute("SELECT count(*) FROM archive_article").fetchone()[0]
        except sqlite3.OperationalError:  # not migrated yet
            return 0
