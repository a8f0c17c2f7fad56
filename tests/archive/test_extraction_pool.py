"""The NER worker pool inside a process that handles SIGTERM itself, as the task worker does:
stopping the pool never waits for ever, and no NER process outlives its parent."""

import os
import subprocess
import sys
import time

import pytest

from tests.processes import ROOT

STOP_WHILE_BUSY = """
import os, signal, time, django
django.setup()
from archive import liveness
from archive.extraction import extract_many
# What django-tasks' worker installs: a SIGTERM handler that only asks for a graceful stop.
signal.signal(signal.SIGTERM, lambda *args: None)
text = "Mayor Ingrid Solberg met Nordlys Shipping in Tromsø. " * 400
found = extract_many(range(64), text=lambda i: text, workers=2, batch_size=2)
next(found)
found.close()  # the pool is terminated while its workers are busy
time.sleep(0.5)
print("children", len(liveness.children(os.getpid())))
"""


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_stopping_the_pool_under_a_graceful_sigterm_handler_ends_its_workers(tmp_path, attempt):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ARCHIVE_DATA_DIR": str(tmp_path),
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", STOP_WHILE_BUSY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-2:] == ["children", "0"]
    assert time.monotonic() - started < 60
