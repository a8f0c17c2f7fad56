"""Search latency through the JSON API on a large archive (default 100,000 articles).

Builds the corpus from Reuters-21578 with Reuters' own place/people/organization tags as
supplied entities (so no NER is needed), repeating records with a copy number to reach the
size asked for; imports it into bench/out/latency (kept between runs: pass --rebuild to redo);
then times the three searches of the performance budget.

Usage: .venv/bin/python bench/search_latency.py [--articles 100000] [--runs 30] [--rebuild]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from _django import ROOT, SHARED_DATA, setup

OUT = ROOT / "bench" / "out" / "latency"


def build(count: int) -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    records = []
    with open(SHARED_DATA / "reuters21578" / "articles.jsonl", encoding="utf-8") as source:
        for line in source:
            r = json.loads(line)
            if r.get("body"):
                records.append(r)
    corpus = OUT / "articles.jsonl"
    with open(corpus, "w", encoding="utf-8") as target:
        for n in range(count):
            r = records[n % len(records)]
            copy = n // len(records)
            names = {
                "person": [p.title() for p in r.get("people", [])],
                "place": [p.upper() if len(p) <= 3 else p.title() for p in r.get("places", [])],
                "organization": [o.upper() for o in r.get("orgs", [])],
            }
            target.write(
                json.dumps(
                    {
                        "title": r["title"],
                        "body": r["body"] + (f"\n\n(copy {copy})" if copy else ""),
                        "published": r["date"],
                        "source": r.get("source") or "Reuters",
                        "entities": names,
                    }
                )
                + "\n"
            )
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(OUT / "data"), "DEBUG": "true"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    start = time.perf_counter()
    subprocess.run([*manage, "import_articles", str(corpus)], env=env, check=True)
    seconds = time.perf_counter() - start
    print(f"imported and indexed {count} articles in {seconds:.0f} s ({count / seconds:.0f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild or not (OUT / "data").exists():
        build(args.articles)
    os.environ["ARCHIVE_DATA_DIR"] = str(OUT / "data")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    setup()
    from django.test import Client

    from archive.models import Entity

    client = Client()
    usa = Entity.objects.get(kind="place", key="usa").pk
    opec = Entity.objects.filter(kind="organization", key="opec").first()
    cases = {
        "one word, all facets": {"q": "oil"},
        "browse everything, all facets": {},
        "query + two facet filters": {"q": "prices", "place": usa, "organization": opec.pk},
    }
    index_dir = OUT / "data" / "whoosh_index"
    size = sum(f.stat().st_size for f in index_dir.iterdir()) / 2**20
    print(f"articles: {client.get('/api/search/').json()['count']}, index {size:.0f} MB")
    client.get("/api/search/")  # the first search reads the doc values
    for name, query in cases.items():
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get("/api/search/", query)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        timings.sort()
        p95 = timings[int(0.95 * (len(timings) - 1))]
        print(f"{name:<32} median {statistics.median(timings):6.1f} ms   p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
