"""Writers share one database and one index (Whoosh allows one writer at a time): two imports
at once, or a curator editing in the admin during an import, all finish, nothing is lost, and
the index matches the database."""

import json
import subprocess
from pathlib import Path

import pytest


def corpus(path: Path, prefix: str, count: int) -> Path:
    with path.open("w") as out:
        for n in range(count):
            record = {
                "title": f"{prefix} bulletin {n}",
                "body": f"{prefix} bulletin {n}: ferry traffic at Sines rose {n % 89} percent.",
                "entities": {"place": ["Sines"], "organization": [f"{prefix} Lines"]},
            }
            out.write(json.dumps(record) + "\n")
    return path


@pytest.mark.slow
def test_two_imports_at_once_lose_nothing(child_archive, tmp_path):
    child_archive.manage("migrate", "-v0", check=True)
    files = [corpus(tmp_path / f"{p}.jsonl", p, 6000) for p in ("Harbor", "Coastal")]
    runs = [
        child_archive.start(
            "import_articles", str(f), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for f in files
    ]
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
        assert "Imported 6000 articles, skipped 0 duplicates, 0 bad records." in out
    check = child_archive.manage("check_index", "--dry-run")
    assert "The index matches the database." in check.stdout, check.stdout + check.stderr
    assert child_archive.stored_articles() == 12_000


DESK = [
    {
        "title": "Dock strike halts Lisbon port",
        "body": "Helena Moura said the Sines Port Agency would meet the union.",
        "entities": {"person": ["Helena Moura"], "organization": ["Sines Port Agency"]},
    },
    {
        "title": "Moura backs port fund",
        "body": "H. Moura backed the fund for the Sines Port Agency.",
        "entities": {"person": ["H. Moura"], "organization": ["Sines Port Agency"]},
    },
]


@pytest.mark.slow
def test_admin_edits_during_an_import_lose_nothing(child_archive, tmp_path, write_jsonl):
    child_archive.manage("migrate", "-v0", check=True)
    child_archive.manage("import_articles", str(write_jsonl(DESK, "desk.jsonl")), check=True)
    wire = corpus(tmp_path / "wire.jsonl", "Harbor", 20_000)
    importer = child_archive.start(
        "import_articles", str(wire), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    editor = child_archive.manage("shell", "-v0", "-c", EDITOR.read_text())
    out, err = importer.communicate(timeout=600)
    assert importer.returncode == 0, err
    assert "Imported 20000 articles" in out
    assert editor.returncode == 0, editor.stderr
    edits = json.loads(editor.stdout)
    assert edits["statuses"] == [302, 302, 302], edits
    assert edits["before"] > 0 and edits["after"] < 20_002  # the edits landed mid-import

    check = child_archive.manage("check_index", "--dry-run")
    assert "The index matches the database." in check.stdout, check.stdout + check.stderr
    assert child_archive.stored_articles() == 20_002
    found = json.loads(child_archive.manage("shell", "-v0", "-c", SEARCH).stdout)
    assert found == {
        "edited title": 1,
        "old title": 0,
        "Sines Port Authority": 2,
        "Helena Moura": 2,
        "H. Moura": 0,
    }


EDITOR = Path(__file__).with_name("admin_editor.py")
SEARCH = """
import json
from django.test import Client
api = Client(HTTP_HOST="localhost")
def count(**params):
    return api.get("/api/search/", params).json()["count"]
def facet(kind, name):
    facets = api.get("/api/search/", {"q": "moura OR agency"}).json()["facets"][kind]
    return sum(f["count"] for f in facets if f["name"] == name)
print(json.dumps({
    "edited title": count(q='"dock strike ends"'),
    "old title": count(q='"dock strike halts"'),
    "Sines Port Authority": facet("organization", "Sines Port Authority"),
    "Helena Moura": facet("person", "Helena Moura"),
    "H. Moura": facet("person", "H. Moura"),
}))
"""
