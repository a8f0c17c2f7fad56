import json
from pathlib import Path

import pytest

from archive.extraction import NO_RULES, use_rules
from search.engines import get_engine
from tests.processes import archive_processes

WHOOSH_TESTS = Path(__file__).resolve().parent / "search" / "whoosh"
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.SEARCH_ENGINE != "whoosh":
        skip = pytest.mark.skip(reason=f"about Whoosh; SEARCH_ENGINE={settings.SEARCH_ENGINE}")
        for item in items:
            # tests/search/whoosh/ holds the Whoosh adapter's own tests.
            if "whoosh_only" in item.keywords or WHOOSH_TESTS in item.path.parents:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def empty_search_index():
    """Each test starts and ends with an empty index (the database is rolled back too)."""
    engine = get_engine()
    engine.reset()
    yield engine
    engine.reset()


@pytest.fixture(autouse=True)
def index_without_waiting_for_commit(request, monkeypatch):
    """A test in one rolled-back transaction never commits, so index updates run at once
    there. Tests with real transactions (`django_db(transaction=True)`) keep production's
    once-per-commit indexing."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        monkeypatch.setattr("search.signals.after_commit", lambda func: func())


@pytest.fixture(autouse=True)
def no_curation_rules():
    """Curation rules live in the process; each test starts without the last one's."""
    yield
    use_rules(NO_RULES)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def write_jsonl(tmp_path):
    """Write records (dicts, or raw strings for broken lines) to a .jsonl file."""

    def write(records, name="articles.jsonl") -> Path:
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture
def child_archive(tmp_path):
    """A separate archive (data folder, and database on PostgreSQL) for manage.py in children."""
    with archive_processes(tmp_path) as processes:
        yield processes
