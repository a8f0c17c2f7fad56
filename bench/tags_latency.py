"""Superseded by search_latency.py (the team's scale corpus, over HTTP); kept because
load_test.py and index_build.py read the archive it builds. Its corpus is light: Reuters' own
tags give a few entities an article, not the 26 real NER gives, so its figures flatter.

Search latency through the JSON API on a large archive (default 100,000 articles).

Builds the corpus from Reuters-21578 with Reuters' own place/people/organization tags as
supplied entities (so no NER is needed), repeating records with a copy number to reach the
size asked for; imports it into bench/out/latency (kept between runs: pass --rebuild to redo);
then times the three searches of the performance budget.

Usage: .venv/bin/python bench/tags_latency.py [--articles 100000] [--runs 30] [--rebuild]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date

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


def timed(name: str, run, runs: int) -> None:
    run()  # warm caches: the first search reads doc values, FTS pages, etc.
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(
        f"  {name:<32} median {statistics.median(timings):8.1f} ms   p95 {p95:8.1f} ms"
        f"   ({runs} runs)",
        flush=True,
    )


def api_cases(cases: dict) -> dict:
    from django.test import Client

    client = Client()

    def request(query):
        def run():
            response = client.get("/api/search/", query)
            assert response.status_code == 200, response.content

        return run

    return {name: request(query) for name, query in cases.items()}


def stock_cases(cases: dict) -> dict:
    """The same searches through Haystack's stock Whoosh backend, reading the same index."""
    from django.conf import settings
    from haystack.query import SearchQuerySet

    settings.HAYSTACK_CONNECTIONS["stock"] = {
        **settings.HAYSTACK_CONNECTIONS["default"],
        "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
        "INCLUDE_SPELLING": False,  # its suggestion alone takes seconds; measured apart
    }

    def search(query):
        def run():
            sqs = SearchQuerySet(using="stock")
            if query.get("q"):
                sqs = sqs.auto_query(query["q"])
            for kind in ("place", "organization"):
                if kind in query:
                    sqs = sqs.narrow(f"{kind}:{query[kind]}")
            for field in ("person", "place", "organization", "source"):
                sqs = sqs.facet(field, limit=100)
            sqs = sqs.date_facet("published", date(1900, 1, 1), date(2100, 1, 1), "month")
            sqs.count()
            list(sqs[:20])
            sqs.facet_counts()

        return run

    return {name: search(query) for name, query in cases.items()}


def fts5_cases(cases: dict, database: str) -> dict:
    """The same searches in SQLite FTS5, with facet counts by GROUP BY, on the same data."""
    import sqlite3

    fts = OUT / "fts5.sqlite3"
    if not fts.exists():
        con = sqlite3.connect(fts)
        con.execute(f"ATTACH '{database}' AS archive")
        con.executescript(
            """
            CREATE VIRTUAL TABLE doc USING fts5(title, body, tokenize='porter');
            INSERT INTO doc(rowid, title, body) SELECT id, title, body FROM archive.archive_article;
            CREATE TABLE article AS SELECT id, source, published FROM archive.archive_article;
            CREATE INDEX article_published ON article(published);
            CREATE TABLE mention AS SELECT m.article_id, m.entity_id, e.kind
                FROM archive.archive_mention m JOIN archive.archive_entity e ON e.id = m.entity_id;
            CREATE INDEX mention_entity ON mention(entity_id, article_id);
            CREATE INDEX mention_article ON mention(article_id, kind, entity_id);
            """
        )
        con.commit()
        con.close()
    con = sqlite3.connect(fts)

    def search(query):
        conditions, params = [], []
        if query.get("q"):
            conditions.append("a.id IN (SELECT rowid FROM doc WHERE doc MATCH ?)")
            params.append(query["q"])
        for kind in ("place", "organization"):
            if kind in query:
                conditions.append("a.id IN (SELECT article_id FROM mention WHERE entity_id = ?)")
                params.append(query[kind])
        where = " AND ".join(conditions) or "1"
        hits = f"SELECT a.id FROM article a WHERE {where}"

        def run():
            # The matching ids once, in a temporary table the counts then join against.
            con.execute("DROP TABLE IF EXISTS temp.hits")
            con.execute(f"CREATE TEMP TABLE hits AS {hits}", params)
            con.execute("SELECT count(*) FROM hits").fetchone()
            if query.get("q"):
                page = (
                    "SELECT rowid FROM doc WHERE doc MATCH ? AND rowid IN hits "
                    "ORDER BY bm25(doc, 2.0, 1.0) LIMIT 20"
                )
                con.execute(page, [query["q"]]).fetchall()
            else:
                page = "SELECT id FROM article WHERE id IN hits ORDER BY published DESC LIMIT 20"
                con.execute(page).fetchall()
            for kind in ("person", "place", "organization"):
                con.execute(
                    "SELECT entity_id, count(*) c FROM hits JOIN mention ON article_id = hits.id"
                    " WHERE kind = ? GROUP BY entity_id ORDER BY c DESC LIMIT 100",
                    [kind],
                ).fetchall()
            for column in ("source", "substr(published, 1, 7)"):
                con.execute(
                    f"SELECT {column} v, count(*) c FROM hits JOIN article a ON a.id = hits.id "
                    "GROUP BY v ORDER BY c DESC"
                ).fetchall()

        return run

    return {name: search(query) for name, query in cases.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--stock-runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild or not (OUT / "data").exists():
        build(args.articles)
    os.environ["ARCHIVE_DATA_DIR"] = str(OUT / "data")
    migrate = [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"]
    subprocess.run(migrate, env={**os.environ, "DEBUG": "true"}, check=True)  # newer code
    os.environ["ALLOWED_HOSTS"] = "testserver"
    setup()
    from django.conf import settings

    from archive.models import Article, Entity

    usa = Entity.objects.get(kind="place", key="usa").pk
    opec = Entity.objects.get(kind="organization", key="opec").pk
    cases = {
        "one word, all facets": {"q": "oil"},
        "browse everything, all facets": {},
        "query + two facet filters": {"q": "prices", "place": usa, "organization": opec},
    }
    index_dir = OUT / "data" / "whoosh_index"
    size = sum(f.stat().st_size for f in index_dir.iterdir()) / 2**20
    print(f"articles: {Article.objects.count()}, index {size:.0f} MB")
    print("archive backend, through the JSON API (search, facets, page of results, JSON):")
    for name, run in api_cases(cases).items():
        timed(name, run, args.runs)
    print("SQLite FTS5 + GROUP BY facet counts (SQL only, no page rendering):")
    database = settings.DATABASES["default"]["NAME"]
    for name, run in fts5_cases(cases, database).items():
        timed(name, run, args.runs)
    print("stock Haystack Whoosh backend, same index, SearchQuerySet only (no page rendering):")
    for name, run in stock_cases(cases).items():
        timed(name, run, args.stock_runs)


if __name__ == "__main__":
    main()
