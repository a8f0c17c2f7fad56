"""Index build rate and size on disk: Haystack's stock Whoosh backend against the archive's.

Both index the same articles (taken from the latency archive, so run tags_latency.py once
first) into fresh folders, in batches of 2,000 as an import or `check_index --rebuild` does.

Usage: .venv/bin/python bench/index_build.py [--articles 10000]
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

from _django import ROOT, setup

OUT = ROOT / "bench" / "out"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["ARCHIVE_DATA_DIR"] = str(OUT / "latency" / "data")
    migrate = [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"]
    subprocess.run(migrate, env={**os.environ, "DEBUG": "true"}, check=True)  # newer code
    setup()
    from django.conf import settings

    from archive.models import Article
    from search.indexing import index_articles

    engines = {
        "stock": "haystack.backends.whoosh_backend.WhooshEngine",
        "archive": "search.engines.whoosh.backend.ArchiveWhooshEngine",
    }
    for name, engine in engines.items():
        path = OUT / "index_build" / name
        shutil.rmtree(path, ignore_errors=True)
        settings.HAYSTACK_CONNECTIONS[name] = {"ENGINE": engine, "PATH": str(path)}
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True)[: args.articles])
    for name in engines:
        start = time.perf_counter()
        index_articles(ids, using=name)  # batches of 2,000, one commit each
        seconds = time.perf_counter() - start
        path = OUT / "index_build" / name
        size = sum(f.stat().st_size for f in path.iterdir()) / 2**20
        print(
            f"{name:<8} {len(ids)} articles in {seconds:6.1f} s = {len(ids) / seconds:6.0f}/s,"
            f" index {size:5.1f} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
