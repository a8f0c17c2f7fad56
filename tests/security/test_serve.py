"""`make serve`'s stack: gunicorn, DEBUG off, static files by whitenoise, security headers."""

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.processes import archive_processes

GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_serves_pages_and_static_files(tmp_path):
    with archive_processes(tmp_path, DEBUG="false", SECRET_KEY="x" * 60, HTTPS="false") as archive:
        archive.manage("migrate", "-v0", check=True)
        archive.manage("collectstatic", "--noinput", "-v0", check=True)
        port = free_port()
        server = archive.start(
            "config.wsgi",
            "-c",
            "config/gunicorn.py",  # as `make serve` runs it: workers warm the search caches
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            program=[str(GUNICORN)],
            stderr=subprocess.DEVNULL,
        )
        try:
            check_served(f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait(timeout=10)


def check_served(base: str) -> None:
    for _ in range(100):
        try:
            page = urllib.request.urlopen(base + "/", timeout=5)
            break
        except OSError:
            time.sleep(0.2)
    html = page.read().decode()
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', html).group(1)
    assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet)  # hashed name: cached for good
    css = urllib.request.urlopen(base + stylesheet, timeout=5)
    assert css.status == 200 and "max-age" in css.headers["Cache-Control"]
