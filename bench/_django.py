"""Set up Django for a benchmark script run as `python bench/<script>.py`."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def setup(settings: str = "config.settings") -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    # Benchmarks talk plain HTTP to a local server or the test client: no HTTPS redirect.
    os.environ.setdefault("HTTPS", "false")
    import django

    django.setup()
