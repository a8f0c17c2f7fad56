"""Latency while the archive changes: a freshly started server, an article edit, an import batch.

Serves the scale-corpus archive (bench/search_latency.py builds it) with gunicorn as `make
serve` does and sends the latency bar's ten requests round-robin from one client. It reports
the slowest request and the 99th percentile in three windows:

- the first 60 s after the server answers (every worker warmed up before taking requests);
- the 60 s after an article is edited (saved and re-indexed by another process);
- the 60 s after an import of 2,000 new articles starts (its index commits land meanwhile).

It changes the archive (one title, 2,000 more articles): run it after the other benchmarks.
Usage: .venv/bin/python bench/freshness.py [--articles 100000]
"""

import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

from search_latency import (
    EVAL,
    OUT,
    ROOT,
    SHARED_DATA,
    arguments,
    cases,
    environment,
    served,
    stored,
)

WINDOW = 60.0
EXTRA = 2000


def hammer(base: str, requests: list[str], seconds: float) -> list[float]:
    timings, stop = [], time.monotonic() + seconds
    n = 0
    while time.monotonic() < stop:
        start = time.perf_counter()
        with urllib.request.urlopen(base + requests[n % len(requests)]) as response:
            response.read()
        timings.append((time.perf_counter() - start) * 1000)
        n += 1
    return timings


def report(name: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    print(
        f"  {name:<34} {len(timings):5} requests, p99 {p99:6.1f} ms, slowest {ordered[-1]:6.1f} ms",
        flush=True,
    )


def extra_articles(articles: int):
    """EXTRA articles that the archive does not hold yet: the scale corpus continued after the
    articles stored so far (earlier runs of this script add theirs), so every run imports new
    ones."""
    held = stored(articles)
    longer = OUT / f"scale-{held + EXTRA}.jsonl"
    if not longer.exists():
        reuters = SHARED_DATA / "reuters21578" / "articles.jsonl"
        make = [sys.executable, str(EVAL / "make_scale_corpus.py"), str(reuters)]
        subprocess.run([*make, str(held + EXTRA), str(longer)], check=True)
    extra = OUT / f"extra-{articles}.jsonl"
    with open(longer, encoding="utf-8") as source, open(extra, "w", encoding="utf-8") as target:
        for n, line in enumerate(source):
            if n >= held:
                target.write(line)
    return extra


def main() -> None:
    args = arguments()
    extra = extra_articles(args.articles)
    env = environment(args.articles)
    manage = [sys.executable, str(ROOT / "manage.py")]
    with served(args.articles) as server:
        requests = [
            "/api/search/?" + urllib.parse.urlencode(q, doseq=True)
            for q in cases(args.articles).values()
        ]
        print(f"gunicorn, 2 workers, {args.articles} articles, one client, round-robin:")
        report("fresh server, first 60 s", hammer(server.base, requests, WINDOW))

        edit = (
            "from archive.models import Article; a = Article.objects.order_by('pk').first(); "
            "a.title = a.title + ' (edited)'; a.save()"
        )
        subprocess.run([*manage, "shell", "-c", edit], env=env, check=True)
        report("60 s after an article edit", hammer(server.base, requests, WINDOW))

        importer = subprocess.Popen(
            [*manage, "import_articles", str(extra)], env=env, stdout=subprocess.DEVNULL
        )
        during: list[float] = []
        worker = threading.Thread(
            target=lambda: during.extend(hammer(server.base, requests, WINDOW))
        )
        worker.start()
        importer.wait()
        worker.join()
        report(f"60 s from an import of {EXTRA} starting", during)


if __name__ == "__main__":
    main()
