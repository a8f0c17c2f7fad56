"""Two imports at once share one database and one index (Whoosh allows one writer at a time):
both finish, nothing is lost, and the index matches the database."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


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
def test_two_imports_at_once_lose_nothing(tmp_path):
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(tmp_path / "data"), "DEBUG": "true"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    files = [corpus(tmp_path / f"{p}.jsonl", p, 6000) for p in ("Harbor", "Coastal")]
    runs = [
        subprocess.Popen(
            [*manage, "import_articles", str(f)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
        assert "Imported 6000 articles, skipped 0 duplicates, 0 bad records." in out
    check = subprocess.run(
        [*manage, "check_index", "--dry-run"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert "The index matches the database." in check.stdout, check.stdout + check.stderr
