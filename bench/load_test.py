"""Load test: many concurrent searches from a second process, over loopback, for a bounded time.

Serves the latency archive (run tags_latency.py once first) with gunicorn as `make serve`
does, then fires a mix of searches (words, browse, facet filters, pages, the HTML page) from
concurrent client threads. Prints requests served, errors, median and p95 latency.

Usage: .venv/bin/python bench/load_test.py [--seconds 60] [--clients 8] [--workers 2]
"""

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from _django import ROOT

DATA = ROOT / "bench" / "out" / "latency" / "data"
WORDS = ["oil", "prices", "bank", "trade", "dollar", "wheat", "profit", "shares", "tax", "rates"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def urls(base: str, entity_ids: list[int]) -> list[str]:
    pick = random.choice
    return [
        f"{base}/api/search/?q={pick(WORDS)}",
        f"{base}/api/search/",
        f"{base}/api/search/?q={pick(WORDS)}&place={pick(entity_ids)}",
        f"{base}/api/search/?q={pick(WORDS)}&page={random.randint(1, 20)}&sort=newest",
        f"{base}/?q={pick(WORDS)}+{pick(WORDS)}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env |= {"ARCHIVE_DATA_DIR": str(DATA), "SECRET_KEY": "load-test-" + "x" * 50, "HTTPS": "false"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    ids = subprocess.run(
        [*manage, "shell", "-v0", "-c",
         "from archive.models import Entity; "
         "print(*Entity.objects.filter(kind='place').values_list('pk', flat=True)[:200])"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers)],
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/search/", timeout=60).read()
                break
            except OSError:
                time.sleep(0.2)
        for _ in range(args.workers * 2):  # every worker reads its doc values once
            urllib.request.urlopen(base + "/api/search/?q=oil", timeout=60).read()
        timings: list[float] = []
        errors: list[str] = []
        stop = time.monotonic() + args.seconds

        def client() -> None:
            while time.monotonic() < stop:
                url = random.choice(urls(base, [int(i) for i in ids]))
                start = time.perf_counter()
                try:
                    with urllib.request.urlopen(url, timeout=30) as response:
                        response.read()
                    timings.append((time.perf_counter() - start) * 1000)
                except (urllib.error.URLError, OSError) as exc:
                    errors.append(f"{url}: {exc}")

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))] if timings else float("nan")
    print(
        f"{args.clients} clients, {args.workers} gunicorn workers, {args.seconds:.0f} s: "
        f"{len(timings)} requests served ({len(timings) / args.seconds:.1f}/s), "
        f"{len(errors)} errors, median {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms"
    )
    for error in errors[:5]:
        print("  error:", error)


if __name__ == "__main__":
    main()
