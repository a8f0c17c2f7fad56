"""The index can drift from the database (a killed import, a failed write); check_index finds
the drift and repairs it, and rebuilds an index folder that cannot be read."""

import io
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from haystack import connections

from archive.models import Article, Entity
from archive.signals import articles_changed
from search.consistency import IndexUnreadable, find_drift
from search.engines import get_engine
from tests.factories import make_article


def check_index(*args) -> str:
    out = io.StringIO()
    call_command("check_index", *args, stdout=out)
    return out.getvalue()


def search_count() -> int:
    return search_count_of()


def search_count_of(**params) -> int:
    from django.test import Client

    return Client().get("/api/search/", params).json()["count"]


@pytest.mark.django_db
def test_drift_is_reported_and_repaired(monkeypatch):
    kept = [make_article(f"Harbor notice {n}") for n in range(4)]
    get_engine().remove([kept[0].pk])  # an index write that failed
    with monkeypatch.context() as killed:
        killed.setattr("search.signals.after_commit", lambda func: None)
        Article.objects.filter(pk=kept[1].pk).delete()  # deleted, but no commit hook ran
    assert find_drift().missing == {kept[0].pk} and find_drift().stale == {kept[1].pk}

    report = check_index("--dry-run")
    assert "1 articles missing from the index, 1 index entries whose article is gone" in report
    assert find_drift()

    assert "Repaired" in check_index()
    assert not find_drift()
    assert search_count() == 3
    assert "matches the database" in check_index()


@pytest.mark.whoosh_only
@pytest.mark.django_db
def test_damaged_index_is_reported_and_rebuilt(settings):
    for n in range(3):
        make_article(f"Ferry timetable {n}")
    index_dir = Path(settings.HAYSTACK_CONNECTIONS["default"]["PATH"])
    for part in index_dir.iterdir():
        if part.is_file():
            part.write_bytes(b"\x00garbage" * 10)
    backend = connections["default"].get_backend()
    backend._local.__dict__.clear()  # a fresh process would open the files anew
    with pytest.raises(IndexUnreadable):
        find_drift()
    with pytest.raises(CommandError, match="check_index --rebuild"):
        check_index()
    assert "Rebuilt the index with 3 articles" in check_index("--rebuild")
    assert search_count() == 3


@pytest.mark.whoosh_only
@pytest.mark.django_db
def test_unreadable_index_is_a_503_with_a_message_not_a_crash(client, settings):
    make_article("Ferry timetable")
    index_dir = Path(settings.HAYSTACK_CONNECTIONS["default"]["PATH"])
    for part in index_dir.iterdir():
        if part.is_file():
            part.write_bytes(b"\x00garbage" * 10)
    connections["default"].get_backend()._local.__dict__.clear()
    api = client.get("/api/search/", {"q": "ferry"})
    assert api.status_code == 503 and "unavailable" in api.json()["error"]
    page = client.get("/", {"q": "ferry"})
    assert page.status_code == 503 and b"Search is unavailable" in page.content


@pytest.mark.slow
def test_killed_import_leaves_nothing_check_index_cannot_repair(child_archive, tmp_path):
    corpus = tmp_path / "wire.jsonl"
    with corpus.open("w") as out:
        for n in range(30_000):
            record = {
                "title": f"Wire item {n}",
                "body": f"Wire item {n}: port traffic in Lisbon rose {n % 97} percent.",
                "entities": {"place": ["Lisbon"], "organization": [f"Carrier {n % 50}"]},
            }
            out.write(json.dumps(record) + "\n")
    child_archive.manage("migrate", "-v0", check=True)
    importer = child_archive.start("import_articles", str(corpus), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while child_archive.stored_articles() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(random.uniform(0, 1.5))  # somewhere in the next batches: parsing, storing, indexing
    importer.send_signal(signal.SIGKILL)
    importer.wait()
    assert 0 < child_archive.stored_articles() < 30_000
    # Its index writer finishes the batch it has, then stops: none of it stays behind.
    deadline = time.monotonic() + 60
    while processes_running(str(corpus)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not processes_running(str(corpus))

    repair = child_archive.manage("check_index")
    assert repair.returncode == 0, repair.stderr
    assert (
        "The index matches the database." in child_archive.manage("check_index", "--dry-run").stdout
    )
    # Running the import again completes it: nothing was lost, nothing doubled.
    rerun = child_archive.manage("import_articles", str(corpus))
    assert rerun.returncode == 0, rerun.stderr
    assert (
        "The index matches the database." in child_archive.manage("check_index", "--dry-run").stdout
    )
    assert child_archive.stored_articles() == 30_000


def processes_running(argument: str) -> list[int]:
    """Ids of live processes started with this argument (forked children keep it)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
            started_so = argument.encode() in cmdline
            zombie = started_so and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            continue
        if started_so and not zombie:
            found.append(int(entry.name))
    return found


def ferry_records(count: int) -> list[dict]:
    return [
        {
            "title": f"Ferry timetable {n}",
            "body": f"The Tagus ferry from Cacilhas leaves at {n} o'clock, the operator said.",
            "entities": {"place": ["Tagus", "Cacilhas"]},
        }
        for n in range(count)
    ]


@pytest.mark.django_db
def test_an_import_tells_the_index_in_large_batches(write_jsonl):
    from archive.ingest import import_paths
    from archive.signals import articles_changed

    announced = []

    def listen(sender, ids, **kwargs):
        announced.append(len(ids))

    articles_changed.connect(listen)
    try:
        import_paths([write_jsonl(ferry_records(5))], workers=1, store_batch=2, index_batch=4)
    finally:
        articles_changed.disconnect(listen)
    assert announced == [4, 1]
    assert search_count() == 5


@pytest.mark.django_db
def test_an_interrupted_import_leaves_what_it_stored_searchable(write_jsonl, monkeypatch):
    import archive.ingest as ingest

    store = ingest.store_articles
    calls = []

    def store_then_interrupt(items, **kwargs):
        calls.append(len(items))
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C while the third batch is being stored
        return store(items, **kwargs)

    monkeypatch.setattr(ingest, "store_articles", store_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        ingest.import_paths(
            [write_jsonl(ferry_records(6))], workers=1, store_batch=2, index_batch=100
        )
    assert Article.objects.count() == 4
    assert search_count() == 4
    assert not find_drift().missing


@pytest.mark.django_db
def test_check_index_finds_an_entry_with_older_content_and_repairs_it(monkeypatch):
    from archive.models import Entity, Mention

    article = make_article("Harbor notice", place=("Lisbon",))
    porto = Entity.objects.create(kind="place", name="Porto", key="porto")
    with monkeypatch.context() as lost:
        lost.setattr("search.signals.after_commit", lambda func: None)  # the update failed
        Mention.objects.create(article=article, entity=porto)
        Article.objects.filter(pk=article.pk).update(title="Harbor notice, corrected")
    drift = find_drift()
    assert drift.outdated == {article.pk} and not drift.missing and not drift.stale
    assert "1 indexed with older content" in check_index("--dry-run")
    assert "Repaired" in check_index()
    assert not find_drift()
    data = (
        __import__("django.test", fromlist=["Client"])
        .Client()
        .get("/api/search/", {"place": porto.pk})
    )
    assert data.json()["count"] == 1


@pytest.mark.django_db
def test_a_reextraction_killed_after_a_batch_commits_resumes_with_an_exact_index(
    monkeypatch, settings, tmp_path
):
    from archive import ingest
    from archive.management.commands import reextract_entities

    settings.DATA_DIR = tmp_path
    for n in range(4):
        make_article(f"Notice {n}", f"Dock workers in Lisbon met in Porto on day {n}.")
    Article.objects.update(extraction_model="en_core_web_sm")
    calls = []
    real = ingest.reextract_articles

    def killed_after_first_batch(chunk, **kwargs):
        calls.append(chunk)
        if len(calls) == 2:
            raise KeyboardInterrupt  # SIGINT/SIGKILL between batches
        with monkeypatch.context() as dying:
            # Killed right after the commit: the index update never runs.
            dying.setattr("search.signals.after_commit", lambda func: None)
            return real(chunk, **kwargs)

    monkeypatch.setattr(reextract_entities, "reextract_articles", killed_after_first_batch)
    with pytest.raises(KeyboardInterrupt):
        call_command("reextract_entities", "--batch", "2", "--workers", "1", stdout=io.StringIO())
    assert find_drift().outdated  # the committed batch is not what the index holds

    monkeypatch.setattr(reextract_entities, "reextract_articles", real)
    out = io.StringIO()
    call_command("reextract_entities", "--batch", "2", "--workers", "1", stdout=out)
    assert "Resuming" in out.getvalue()
    assert not find_drift()

    call_command("reextract_entities", "--restart", "--workers", "1", stdout=io.StringIO())
    assert not find_drift()


@pytest.mark.whoosh_only
@pytest.mark.django_db
def test_saved_doc_values_are_shared_and_a_damaged_one_is_read_again(client, settings):
    lisbon = make_article("Ferry strike", place=("Lisbon",)).mentions.get().entity_id
    make_article("Harbor fees", place=("Porto",))
    folder = Path(settings.HAYSTACK_CONNECTIONS["default"]["PATH"]) / "docvalues"
    saved = [p for p in folder.iterdir() if p.is_dir()]
    assert saved  # the committing process saved each segment's values
    for array in saved[0].iterdir():
        array.write_bytes(b"\x00garbage")
    backend = connections["default"].get_backend()
    backend._local.__dict__.clear()
    backend.doc_values.clear()  # as a freshly started worker
    data = client.get("/api/search/", {"place": lisbon}).json()
    assert [r["title"] for r in data["results"]] == ["Ferry strike"]
    assert data["facets"]["place"][0]["count"] == 1


def _harbor_bulletins(size: int) -> list[dict]:
    return [
        {
            "title": f"Harbor bulletin {n}",
            "body": f"Ship {n} docked {'in Lisbon' if n % 3 else 'in Porto'} after the storm.",
            "published": f"2024-{n % 12 + 1:02d}-05",
            "entities": {"place": ["Lisbon" if n % 3 else "Porto"], "person": [f"Captain {n}"]},
        }
        for n in range(size)
    ]


@pytest.mark.whoosh_only
@pytest.mark.django_db
def test_an_import_indexed_in_the_background_is_indexed_exactly(write_jsonl, monkeypatch):
    from archive.ingest import import_paths

    monkeypatch.setattr("search.engines.whoosh.writer.SEGMENT_ARTICLES", 200)
    size = 537
    report = import_paths([write_jsonl(_harbor_bulletins(size))], store_batch=50, index_batch=100)
    assert report.imported == size and not report.unindexed
    backend = connections["default"].get_backend()
    # Five batches of 100 written in the background, published two at a time and at the
    # end; the last 37 written by the import itself.
    sizes = sorted(s.doc_count_all() for s in backend.index.refresh()._segments())
    assert sizes == [37, 100, 200, 200]
    assert not list(Path(backend.path).glob(".staging*"))
    assert not find_drift()
    porto = Entity.objects.get(name="Porto").pk
    assert search_count() == size
    assert search_count_of(place=porto) == len(range(0, size, 3))
    assert search_count_of(q="storm", place=porto) == len(range(0, size, 3))
    assert search_count_of(q='"Ship 417 docked"') == 1


@pytest.mark.whoosh_only
@pytest.mark.django_db
def test_the_import_goes_on_storing_while_the_index_writer_is_busy(
    write_jsonl, monkeypatch, tmp_path
):
    from archive.ingest import import_paths
    from search.engines.whoosh.backend import ArchiveWhooshSearchBackend

    released = tmp_path / "released"
    staged = ArchiveWhooshSearchBackend.stage_documents

    def held(self, docs, segment):  # in the writer process: busy until the importer says
        deadline = time.monotonic() + 30  # an importer that waits for it never says
        while not released.exists():
            if time.monotonic() > deadline:
                released.write_text("by the writer, tired of waiting")
            time.sleep(0.05)
        return staged(self, docs, segment)

    handed_over = []

    def batch_stored(sender, ids, bulk=False, **kwargs):
        # Four batches of 100 handed over: the writer holds the first, three wait for it.
        handed_over.append(bulk)
        if handed_over.count(True) == 4 and not released.exists():
            released.write_text("by the importer")

    monkeypatch.setattr(ArchiveWhooshSearchBackend, "stage_documents", held)
    path = write_jsonl(_harbor_bulletins(500))
    articles_changed.connect(batch_stored)
    try:
        report = import_paths([path], store_batch=50, index_batch=100)
    finally:
        articles_changed.disconnect(batch_stored)
    assert released.exists() and released.read_text() == "by the importer"
    assert report.imported == 500 and report.unindexed == 0
    assert search_count() == 500


@pytest.mark.whoosh_only
@pytest.mark.django_db
def test_a_batch_that_fails_in_the_background_is_reported_and_repairable(write_jsonl, monkeypatch):
    from archive.ingest import import_paths
    from search.engines.whoosh.backend import ArchiveWhooshSearchBackend

    staged = ArchiveWhooshSearchBackend.stage_documents

    def full_disk_for_the_second_batch(self, docs, segment):
        if any(doc["title"] == "Harbor bulletin 150" for doc in docs):
            raise OSError(28, "No space left on device")
        return staged(self, docs, segment)

    monkeypatch.setattr(
        ArchiveWhooshSearchBackend, "stage_documents", full_disk_for_the_second_batch
    )
    report = import_paths([write_jsonl(_harbor_bulletins(250))], store_batch=50, index_batch=100)
    assert report.imported == 250
    # The segment held the first two batches when the second failed; the last 50 are
    # written by the import itself.
    assert report.unindexed == 200
    assert "No space left on device" in report.summary()
    assert search_count() == 50
    monkeypatch.undo()
    check_index()
    assert not find_drift() and search_count() == 250


@pytest.mark.whoosh_only
@pytest.mark.django_db
def test_check_index_removes_what_writers_killed_outright_left_beside_the_index(settings):
    index_folder = Path(settings.HAYSTACK_CONNECTIONS["default"]["PATH"])
    gone = subprocess.Popen(["true"])
    gone.wait()
    abandoned = index_folder / f".staging-{gone.pid}-1a2b3c4d"
    writing = index_folder / f".staging-{os.getpid()}-5e6f7a8b"  # a live writer's
    for folder in (abandoned, writing):
        folder.mkdir(parents=True)
        (folder / "MAIN_x.seg").write_bytes(b"half a segment")
    dry = io.StringIO()
    call_command("check_index", "--dry-run", stdout=dry)
    assert abandoned.exists()
    out = io.StringIO()
    call_command("check_index", stdout=out)
    assert "Removed 1 unfinished index segments of killed imports." in out.getvalue()
    assert not abandoned.exists() and writing.exists()


@pytest.mark.django_db
def test_haystacks_index_commands_are_the_archives_on_every_engine():
    make_article("Harbor notice A")
    make_article("Harbor notice B")
    assert "Rebuilt the index with 2 articles" in check_index_named("rebuild_index", "--noinput")
    assert "is empty" in check_index_named("clear_index", "--noinput")
    assert search_count() == 0
    assert "Repaired" in check_index_named("update_index")
    assert search_count() == 2


def check_index_named(name: str, *args) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()
