"""Entity quality the way the team measures it, on the path users run.

Runs `../shared/eval/entity_f1` (which scores what `manage.py extract_entities` prints, in a
throwaway archive) for the development set, then scores the demo corpus (`demo/`) against the
facets written by hand in `tests/archive/demo_expected.py`. Both figures go in RESULTS.md.

Usage: .venv/bin/python bench/entity_quality.py
"""

import io
import json
import os
import subprocess
import sys
import tempfile

from _django import ROOT, SHARED_DATA


def team_figure() -> None:
    script = SHARED_DATA.parent / "eval" / "entity_f1"
    if not script.exists():
        print(f"{script} is missing: no development-set figure")
        return
    result = subprocess.run([str(script)], cwd=ROOT, capture_output=True, text=True, check=True)
    print("Development set (../shared/eval/entity_f1):")
    print(result.stdout.rstrip())


def demo_figure() -> None:
    with tempfile.TemporaryDirectory() as work:
        env = {
            "DATABASE_URL": f"sqlite:///{work}/db.sqlite3",
            "ARCHIVE_DATA_DIR": work,
            "WHOOSH_PATH": f"{work}/whoosh",
        }
        os.environ.update(env)
        from _django import setup

        setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        out = io.StringIO()
        call_command("extract_entities", str(ROOT / "demo"), stdout=out)
    sys.path.insert(0, str(ROOT))
    from tests.archive.demo_expected import demo_scores

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    predicted = {int(line["path"].rsplit(":", 1)[1]): line for line in lines}
    precision, recall, f1 = demo_scores(predicted)
    print(f"Demo corpus: P={precision:.3f} R={recall:.3f} F1={f1:.3f}")


if __name__ == "__main__":
    team_figure()
    demo_figure()
